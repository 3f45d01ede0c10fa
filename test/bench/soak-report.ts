/** The soak's HTML report: its verdict and figures as the summary, each sampled series as a chart. */
import type { MachineInfo } from './machine-info.js';
import type { ChartSeries, HtmlReport } from './report/html-report.js';
import type { SoakSample } from './soak-verdict.js';

export interface SoakReportInput {
  readonly result: {
    readonly verdict: string;
    readonly failures: readonly string[];
    readonly [figure: string]: unknown;
  };
  readonly samples: readonly SoakSample[];
  readonly warmupS: number;
  readonly machine: MachineInfo;
  readonly startedAt: Date;
}

export function soakReport(input: SoakReportInput): HtmlReport {
  const { result, samples, warmupS, machine } = input;
  const series = (name: string, y: (s: SoakSample) => number): ChartSeries => ({
    name,
    // A window with no verdict has no latency: left out rather than drawn as zero.
    points: samples.filter((s) => Number.isFinite(y(s))).map((s) => [s.t, y(s)] as const),
  });
  const markers = [{ at: warmupS, label: 'warm-up ends' }];
  const MB = 2 ** 20;
  const summary: Record<string, string | number | boolean> = {
    verdict: result.verdict,
    ...(result.failures.length > 0 ? { failures: result.failures.join('; ') } : {}),
  };
  for (const [k, v] of Object.entries(result)) {
    if (k === 'verdict' || k === 'failures') continue;
    if (typeof v === 'object' && v !== null) {
      for (const [gk, gv] of Object.entries(v)) summary[`${k}.${gk}`] = String(gv);
    } else summary[k] = v === null ? 'n/a' : (v as string | number | boolean);
  }
  summary.started = input.startedAt.toISOString();
  summary.machine = `${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}`;
  summary['load average at start'] = machine.loadAverage;
  return {
    title: `pushfleet soak, ${input.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${result.verdict}`,
    summary,
    charts: [
      {
        title: 'Worker memory',
        yLabel: 'MB',
        series: [
          series('worker RSS', (s) => s.rssBytes / MB),
          series('worker heap used', (s) => s.heapUsedBytes / MB),
          series('Redis used memory', (s) => s.redisUsedBytes / MB),
        ],
        markers,
      },
      {
        title: 'Enqueue-to-verdict latency per window',
        yLabel: 'ms',
        series: [series('p50', (s) => s.p50Ms), series('p99', (s) => s.p99Ms)],
        markers,
      },
      {
        title: 'Worker event-loop delay (p99 per window)',
        yLabel: 'ms',
        series: [series('event-loop delay p99', (s) => s.eventLoopLagP99Ms)],
        markers,
      },
      {
        title: 'Throughput per window',
        yLabel: 'notifications/s',
        series: [
          series('enqueued/s', (s) => s.enqueued / windowSeconds(samples, s)),
          series('verdicts/s', (s) => s.verdicts / windowSeconds(samples, s)),
        ],
        markers,
      },
      {
        title: 'Backlog: enqueued, no verdict yet (end of window)',
        yLabel: 'notifications',
        series: [series('pending', (s) => s.pending)],
        markers,
      },
      {
        title: `CPU: the worker, and the whole shared machine (${machine.cores} cores)`,
        yLabel: 'cores busy',
        series: [
          series('worker', (s) => s.workerCores),
          series('machine (everyone)', (s) => s.machineBusyCores),
        ],
        markers,
      },
    ],
  };
}

/** The length of the window that ends at `s.t` (the first starts at 0). */
function windowSeconds(samples: readonly SoakSample[], s: SoakSample): number {
  const i = samples.indexOf(s);
  return s.t - (i > 0 ? samples[i - 1]!.t : 0);
}
