/**
 * The soak's pass/fail rules, as pure functions of its samples (so they are tested on their own:
 * test/src/bench/soak-verdict.test.ts). Shared machines are noisy, so each rule compares medians of several
 * windows, never two single samples.
 */

/** One sampling window of the soak (every `--sample-seconds`). */
export interface SoakSample {
  /** Seconds since the steady phase started, at the end of the window. */
  readonly t: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** The worker's event-loop delay p99 over the window (prom-client resets it at each scrape). */
  readonly eventLoopLagP99Ms: number;
  /** Enqueue-to-verdict of the notifications whose verdict was read in this window. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly verdicts: number;
  readonly enqueued: number;
  /** Enqueued, no final verdict yet, at the end of the window. */
  readonly pending: number;
  readonly redisUsedBytes: number;
  /** Cores the worker used over the window (its process_cpu_seconds_total). */
  readonly workerCores: number;
  /** Cores the whole machine kept busy over the window (everyone's work: the machine is shared). */
  readonly machineBusyCores: number;
}

/** RSS may grow this much from the start of the measured phase to its end. */
export const MAX_RSS_GROWTH = 0.1;
/** p99 drifts when the last third's median exceeds the first third's by this factor plus this floor. */
export const P99_DRIFT_FACTOR = 1.25;
export const P99_DRIFT_FLOOR_MS = 10;
/** The fewest measured windows a verdict is drawn from (thirds of two windows each). */
export const MIN_MEASURED_SAMPLES = 6;

export interface SoakVerdict {
  readonly pass: boolean;
  /** Why it failed, one sentence each; empty on a pass. */
  readonly failures: readonly string[];
  readonly rss: { readonly startBytes: number; readonly endBytes: number; readonly growth: number };
  readonly p99: {
    readonly firstThirdMs: number;
    readonly lastThirdMs: number;
    /** Theil-Sen slope of the windows' p99 over time (robust to a few outliers), ms per minute. */
    readonly slopeMsPerMinute: number;
  };
}

/**
 * Judge the samples after the warm-up, first third of the windows against the last third (medians: RSS and
 * latency swing with each garbage collection, so one window against another would judge the sawtooth):
 * RSS growth above {@link MAX_RSS_GROWTH} fails, and so does p99 drift (the last third's median p99 above
 * {@link P99_DRIFT_FACTOR} × the first third's + {@link P99_DRIFT_FLOOR_MS}).
 */
export function judgeSoak(measured: readonly SoakSample[]): SoakVerdict {
  if (measured.length < MIN_MEASURED_SAMPLES) {
    throw new RangeError(
      `samples: ${measured.length} windows after the warm-up, at least ${MIN_MEASURED_SAMPLES} are needed ` +
        '(run longer, or sample more often)',
    );
  }
  const failures: string[] = [];
  const thirdOf = (n: number) => Math.max(1, Math.floor(n / 3));
  const startBytes = median(measured.slice(0, thirdOf(measured.length)).map((s) => s.rssBytes));
  const endBytes = median(measured.slice(-thirdOf(measured.length)).map((s) => s.rssBytes));
  const growth = endBytes / startBytes - 1;
  if (growth > MAX_RSS_GROWTH) {
    failures.push(
      `worker RSS grew ${pct(growth)} after the warm-up (median ${mb(startBytes)} in the first third of the ` +
        `windows, ${mb(endBytes)} in the last), more than ${pct(MAX_RSS_GROWTH)}`,
    );
  }
  // Windows with no verdict read have no p99; they neither help nor hide a drift.
  const withVerdicts = measured.filter((s) => s.verdicts > 0);
  const third = thirdOf(withVerdicts.length);
  const firstThirdMs = median(withVerdicts.slice(0, third).map((s) => s.p99Ms));
  const lastThirdMs = median(withVerdicts.slice(-third).map((s) => s.p99Ms));
  const limit = firstThirdMs * P99_DRIFT_FACTOR + P99_DRIFT_FLOOR_MS;
  if (withVerdicts.length === 0) failures.push('no verdict was read after the warm-up');
  else if (lastThirdMs > limit) {
    failures.push(
      `p99 drifted upward: ${lastThirdMs.toFixed(1)} ms in the last third of the windows against ` +
        `${firstThirdMs.toFixed(1)} ms in the first (limit ${limit.toFixed(1)} ms)`,
    );
  }
  const slope = theilSen(withVerdicts.map((s) => [s.t, s.p99Ms] as const));
  return {
    pass: failures.length === 0,
    failures,
    rss: { startBytes, endBytes, growth },
    p99: { firstThirdMs, lastThirdMs, slopeMsPerMinute: slope * 60 },
  };
}

/** The value at quantile `q` of ascending `sorted` (nearest rank); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of the slopes between every pair of points (0 for fewer than two points). */
function theilSen(points: readonly (readonly [number, number])[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]![0] - points[i]![0];
      if (dx !== 0) slopes.push((points[j]![1] - points[i]![1]) / dx);
    }
  }
  return slopes.length === 0 ? 0 : median(slopes);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
