/**
 * Wiring, pushy-style: `apns` emits through a TransportListener, `metrics` defines, the worker connects them.
 * Reasons are bounded here: an unknown reason string is counted as "unknown", never as a new label value.
 */
import { isReason, type TransportListener, type Verdict } from '@pushfleet/apns';
import type { FleetMetrics } from '@pushfleet/metrics';

export type TransportName = 'http2' | 'legacy';

export function reasonLabel(reason: string | undefined, status = 200): string {
  if (reason === undefined) return status === 200 ? '' : 'unknown';
  return isReason(reason) ? reason : 'unknown';
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
    },
    onConnectionClosed() {
      metrics.connectionsOpen.dec({ app, transport });
    },
    onConnectFailed() {
      metrics.connectFailures.inc({ app, transport });
    },
  };
}
