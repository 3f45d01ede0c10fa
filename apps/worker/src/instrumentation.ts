/**
 * Where a send's metrics are counted. Wiring, pushy-style: `apns` emits through a TransportListener (verdicts,
 * round trips, transport errors, connections), the push processor through `deliveryMetrics` (the outcomes the
 * fleet decides, retries, possible duplicates, jobs); `metrics` defines every name. Reasons are bounded
 * here: an unknown reason string is counted as "unknown", never as a new label value.
 */
import { isReason, SESSION_CLOSE_REASONS, type TransportListener, type Verdict } from '@pushfleet/apns';
import type { CounterCell, FleetMetrics, HistogramCell } from '@pushfleet/metrics';

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
  // Once per verdict: the cells are found by outcome and reason in two small maps, with no label object.
  const counted = new Map<string, Map<string, CounterCell>>();
  const timed = new Map<string, HistogramCell>();
  return {
    onVerdict(verdict: Verdict, seconds: number) {
      const { outcome } = verdict;
      const reason = reasonLabel(verdict.reason, verdict.status);
      let byReason = counted.get(outcome);
      if (!byReason) counted.set(outcome, (byReason = new Map()));
      let count = byReason.get(reason);
      if (!count)
        byReason.set(reason, (count = metrics.notifications.cell({ app, transport, outcome, reason })));
      count.inc();
      let roundTrip = timed.get(outcome);
      if (!roundTrip)
        timed.set(outcome, (roundTrip = metrics.apnsRoundTrip.cell({ app, transport, outcome })));
      roundTrip.observe(seconds);
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
    onResend(cause: string) {
      metrics.resends.inc({ app, cause });
    },
    onConnectFailed() {
      metrics.connectFailures.inc({ app, transport });
    },
  };
}

/** What the push processor counts, per app: the fleet's own decisions about notifications and jobs. */
export function deliveryMetrics(metrics: FleetMetrics, app: string, transport: TransportName) {
  const endToEnd = new Map<string, HistogramCell>(); // by outcome: once per notification
  return {
    /** A notification reached its final outcome `outcome`: enqueue-to-end time. */
    ended(outcome: string, enqueuedAt: number, at = Date.now()) {
      let cell = endToEnd.get(outcome);
      if (!cell) endToEnd.set(outcome, (cell = metrics.endToEnd.cell({ app, outcome })));
      cell.observe((at - enqueuedAt) / 1000);
    },
    /** An outcome the fleet decided without an APNs verdict (suppressed, expired, dead-lettered). */
    fleetOutcome(outcome: string, reason: string | undefined) {
      metrics.notifications.inc({ app, transport, outcome, reason: reasonLabel(reason, 0) });
    },
    retried(reason: string | undefined) {
      metrics.retries.inc({ app, reason: reasonLabel(reason, 0) });
    },
    /** A send of an apns-id that may already have reached APNs. */
    resent(cause: string) {
      metrics.resends.inc({ app, cause });
    },
    invalidTokenRecorded() {
      metrics.invalidTokens.inc({ app, source: transport });
    },
    job(state: 'completed' | 'failed' | 'retried' | 'held') {
      metrics.jobs.inc({ app, state });
    },
  };
}
