/**
 * A chaos run's result: the one JSON object the runner prints last (and keeps as reports/<name>.json) and the
 * HTML page beside it (the shared report writer: summary table, delivery rate per second with the faults as
 * markers).
 */
import { type HtmlReport, writeReport } from '../report/html-report.js';
import type { ChaosPlan } from './chaos-plan.js';
import type { Tally } from './final-tally.js';
import type { Recovery } from './recovery-watch.js';
import type { RunTimeline } from './run-timeline.js';
import type { SimulatorCounters } from './simulator-protocol.js';

export interface ChaosResult {
  readonly form: ChaosPlan['form'];
  readonly redis: string;
  readonly enqueued: number;
  readonly lost: number;
  readonly stuck: number;
  readonly dups_seen: number;
  readonly dups_counted: number;
  readonly outcomes: Record<string, number>;
  readonly duration_s: number;
  readonly recovery_s: number | null;
  readonly stall_detected_s: number | null;
  readonly recovery_median_s: number | null;
  readonly [key: string]: unknown;
}

export function chaosResult(
  plan: ChaosPlan,
  redisKind: string,
  tally: Tally,
  resends: Record<string, number>,
  recovery: Recovery | undefined,
  timeline: RunTimeline,
  sims: SimulatorCounters,
  inFlightAtEnd: Record<string, number>,
  slowExits: readonly string[],
): ChaosResult {
  const stuck = Object.values(tally.stuck).reduce((s, n) => s + n, 0);
  const injected: Record<string, number> = {};
  for (const app of Object.values(sims.apps))
    for (const [k, n] of Object.entries(app.faults))
      if (k !== 'delayedMs') injected[k] = (injected[k] ?? 0) + n;
  return {
    form: plan.form,
    redis: redisKind,
    enqueued: tally.enqueued,
    lost: tally.lost,
    stuck,
    dups_seen: tally.dupsSeen,
    dups_counted: Object.values(resends).reduce((s, n) => s + n, 0),
    outcomes: tally.outcomes,
    duration_s: timeline.now(),
    recovery_s: recovery?.recoveredS ?? null,
    stall_detected_s: recovery?.detectedS ?? null,
    recovery_median_s: recovery?.recoveredMedianS ?? null,
    stalled_jobs: recovery?.stalledJobs ?? 0,
    dup_ids: tally.dupIds,
    resends_by_cause: resends,
    deliverable_not_accepted: tally.deliverableNotAccepted,
    outcome_counter_total: tally.outcomeCounterTotal,
    stuck_by_state: tally.stuck,
    simulator_accepted: sims.accepted,
    faults_injected: injected,
    fault_timeline: timeline.faults,
    lost_sample: tally.lostSample,
    stuck_sample: tally.stuckSample,
    in_flight_at_end: inFlightAtEnd,
    slow_exits: slowExits,
    plan: {
      notifications: plan.notifications,
      apps: plan.apps,
      workers: plan.workers,
      concurrency: plan.concurrency,
      faults: plan.faults,
      outage: plan.outage,
      retry: plan.retry ?? 'production policy',
    },
  };
}

export async function writeChaosReport(
  dir: string,
  result: ChaosResult,
  timeline: RunTimeline,
): Promise<{ htmlPath: string; jsonPath: string }> {
  const summary: Record<string, string | number | boolean> = {
    form: result.form,
    redis: result.redis,
    enqueued: result.enqueued,
    lost: result.lost,
    'stuck (waiting, active, delayed...)': result.stuck,
    'dups seen (simulator)': result.dups_seen,
    'dups counted (pushfleet_resends_total)': result.dups_counted,
    outcomes: Object.entries(result.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
    'SIGKILL: stalled jobs found after, s': result.stall_detected_s ?? 'not measured',
    'SIGKILL: stalled jobs run again (median / last), s': `${result.recovery_median_s ?? '?'} / ${result.recovery_s ?? '?'}`,
    'duration, s': result.duration_s,
    faults: timeline.faults.map((f) => `${f.at} s ${f.label}`).join('; '),
  };
  const report: HtmlReport = {
    title: `pushfleet chaos run (${result.form}, ${result.enqueued} notifications)`,
    summary,
    charts: [
      {
        title: 'Delivery rate per second, faults marked',
        yLabel: 'notifications/s',
        series: [
          { name: 'fleet: ended delivered', points: timeline.delivered },
          { name: 'simulator: accepted', points: timeline.accepted },
        ],
        markers: timeline.faults.map((f) => ({ at: f.at, label: f.label.split(':')[0]! })),
      },
    ],
  };
  const stamp = new Date(timeline.startedAt).toISOString().replace(/[:.]/g, '-');
  return writeReport(dir, `chaos-${result.form}-${stamp}`, report, result);
}
