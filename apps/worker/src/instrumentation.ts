/**
 * Wiring, pushy-style: `apns` emits through a TransportListener, `metrics` defines, the worker connects them.
 * Reasons are bounded here: an unknown reason string is counted as "unknown", never as a new label value.
 */
import { isReason, SESSION_CLOSE_REASONS, type TransportListener, type Verdict } from '@pushfleet/apns';
import type { FleetMetrics } from '@pushfleet/metrics';

export type TransportName = 'http2' | 'legacy';

export function reasonLabel(reason: string | undefined, status = 200): string {
  if (reason === undefined) return status === 200 ? '' : 'unknown';
  return isReason(reason) ? reason : 'unknown';
}

const CLOSE_REASONS: ReadonlySet<string> = new Set(SESSION_CLOSE_REASONS);

/** A connection's close reason as a bounded label: the pool's set, legacy `error-response-<status>`, else "other". */
export function closeReasonLabel(reason: string): string {
  return CLOSE_REASONS.has(reason) || /^error-response-\d{1,3}$/.test(reason) ? reason : 'other';
}

export function transportMetricsListener(
  metrics: FleetMetrics,
  app: string,
  transport: TransportName,
): TransportListener {
  return {
    onVerdict(verdict: Verdict, seconds: number) {
      metrics.notifications.inc({
        app,
        transport,
        outcome: verdict.outcome,
        reason: reasonLabel(verdict.reason, verdict.status),
      });
      metrics.apnsRoundTrip.observe({ app, transport, outcome: verdict.outcome }, seconds);
    },
    onTransportError(code: string) {
      metrics.transportErrors.inc({ app, transport, code });
    },
    onConnectionOpened() {
      metrics.connectionsOpen.inc({ app, transport });
      metrics.connectionsOpened.inc({ app, transport });
    },
    onConnectionClosed(reason: string) {
      metrics.connectionsOpen.dec({ app, transport });
      metrics.connectionsClosed.inc({ app, transport, reason: closeReasonLabel(reason) });
    },
    onConnectFailed() {
      metrics.connectFailures.inc({ app, transport });
    },
  };
}
