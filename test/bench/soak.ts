/**
 * `npm run soak -- --minutes 10`: the fleet at a steady half of its capacity for a while, watching for leaks and
 * creeping latency.
 *
 *   node test/dist/bench/soak.js [--minutes 10] [--rate N] [--warmup-seconds S] [--sample-seconds 10]
 *                                [--capacity-notifications 60000] [--concurrency 64] [--sim-workers 2]
 *                                [--fan-out 0.2] [--out reports]
 *
 * Processes as in bench:e2e (test/bench/bench-fleet.ts): Redis with AOF, the simulator in its own processes, one
 * worker process (the fleet's code), this one as the producer (the SDK's `sendMany`, bench:e2e's notification mix).
 * 1. Capacity, unless `--rate` is given: `--capacity-notifications` enqueued at once; delivered per second from the
 *    first enqueue to the last verdict. The steady rate is half of it.
 * 2. Steady phase: that rate for `--minutes`, enqueued every 100 ms. Every `--sample-seconds` a sample: the
 *    worker's RSS, heap used and event-loop delay p99 (its /metrics), and the p50/p99 enqueue-to-verdict latency
 *    of the verdicts read in that window (the fleet's own final records, test/bench/verdict-latencies.ts).
 * 3. Verdict (test/bench/soak-verdict.ts) on the samples after the warm-up (`--warmup-seconds`, by default 20% of
 *    the run, at most 120 s): fails when RSS grew more than 10% or p99 drifted upward, or when a notification did
 *    not end delivered. Exit code 1 on a failure, with the reasons.
 * Writes reports/soak-<date>.html (the series as charts) and reports/soak-<date>.json beside it. The last line
 * is one JSON object.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createProducer, outcomeCounts, waitForNotifications } from '@pushfleet/queue';
import { Redis } from 'ioredis';
import { BENCH_APP as APP, scrapeMetrics, sendBench, startBenchFleet } from './bench-fleet.js';
import { busyCores, machineInfo, readCpuTimes } from './machine-info.js';
import { writeReport } from './report/html-report.js';
import { soakReport } from './soak-report.js';
import { judgeSoak, median, quantile, type SoakSample } from './soak-verdict.js';
import { VerdictLatencies } from './verdict-latencies.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string' },
    'warmup-seconds': { type: 'string' },
    'sample-seconds': { type: 'string', default: '10' },
    'capacity-notifications': { type: 'string', default: '60000' },
    concurrency: { type: 'string', default: '64' },
    'sim-workers': { type: 'string', default: '2' },
    'fan-out': { type: 'string', default: '0.2' },
    out: { type: 'string', default: fileURLToPath(new URL('../../../reports/', import.meta.url)) },
  },
});
const positive = (flag: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`--${flag}: must be a positive number, got ${raw}`);
  return n;
};
const durationS = positive('minutes', values.minutes) * 60;
const sampleS = positive('sample-seconds', values['sample-seconds']);
const warmupS =
  values['warmup-seconds'] === undefined
    ? Math.min(120, 0.2 * durationS)
    : positive('warmup-seconds', values['warmup-seconds']);
const fanOutShare = Number(values['fan-out']);
if ((durationS - warmupS) / sampleS < 6) {
  throw new RangeError(
    `--minutes: ${values.minutes} leaves fewer than 6 samples of ${sampleS} s after a ${warmupS} s warm-up`,
  );
}

const machine = machineInfo();
const startedAt = new Date();
const fleet = await startBenchFleet({ simWorkers: positive('sim-workers', values['sim-workers']) });
const worker = await fleet.startWorker({ concurrency: values.concurrency });
const redis = new Redis(fleet.redisServer.url, { maxRetriesPerRequest: null });
const producer = createProducer({ redis: fleet.redisServer.url, app: APP });
let next = 0; // the next notification's number: tokens stay distinct over the whole run
const sendBatch = async (count: number): Promise<{ ids: readonly string[]; at: number }> => {
  const at = Date.now();
  const ids = await sendBench(producer, next, count, fanOutShare);
  next += count;
  return { ids, at };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// 1. Capacity.
let capacityPerS: number | undefined;
if (values.rate === undefined) {
  const n = positive('capacity-notifications', values['capacity-notifications']);
  const baseline = { [APP]: await outcomeCounts(redis, APP) };
  const t0 = Date.now();
  for (let i = 0; i < n; i += 1000) await sendBatch(Math.min(1000, n - i));
  const ended = await waitForNotifications(redis, { baseline, expected: { [APP]: n }, timeoutMs: 600_000 });
  capacityPerS = Math.round((ended.byOutcome.delivered ?? 0) / ((Date.now() - t0) / 1000));
  console.log(`capacity: ${capacityPerS}/s (${n} notifications enqueued at once, 1 worker process)`);
  await sleep(5000); // let the burst's garbage and Redis writes settle before the clock starts
}
const rate = values.rate === undefined ? Math.round(capacityPerS! / 2) : positive('rate', values.rate);
console.log(
  `soak: ${rate}/s for ${durationS / 60} min, a sample every ${sampleS} s, warm-up ${warmupS} s excluded`,
);

// 2. Steady phase: a sender loop and a monitor loop in this process.
const baseline = { [APP]: await outcomeCounts(redis, APP) };
const latencies = new VerdictLatencies(redis, APP);
const samples: SoakSample[] = [];
const measuredLatencies: number[] = [];
const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;
let sent = 0;

const sender = (async () => {
  for (let tick = 1; elapsedS() < durationS; tick++) {
    const due = Math.floor(rate * Math.min(elapsedS(), durationS)) - sent;
    for (let left = due; left > 0; left -= 1000) {
      const { ids, at } = await sendBatch(Math.min(1000, left));
      latencies.add(ids, at);
      sent += ids.length;
    }
    await sleep(t0 + tick * 100 - performance.now());
  }
})();

const monitor = (async () => {
  let sentBefore = 0;
  let cpuBefore = readCpuTimes();
  let workerCpuBefore = (await scrapeMetrics(worker.metricsUrl, ['process_cpu_seconds_total']))
    .process_cpu_seconds_total;
  // Poll the final records every second; close a window every `sampleS`; the last one ends with the sender.
  for (let k = 1; k * sampleS <= durationS; ) {
    await sleep(Math.min(t0 + k * sampleS * 1000, performance.now() + 1000) - performance.now());
    await latencies.poll();
    if (elapsedS() < k * sampleS) continue;
    const m = await scrapeMetrics(worker.metricsUrl, [
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_seconds_total',
    ]);
    const cpuNow = readCpuTimes();
    const window = latencies.takeWindow();
    const memory = /used_memory:(\d+)/.exec(await redis.info('memory'));
    const sample: SoakSample = {
      t: k * sampleS,
      rssBytes: m.process_resident_memory_bytes,
      heapUsedBytes: m.nodejs_heap_size_used_bytes,
      eventLoopLagP99Ms: m.nodejs_eventloop_lag_p99_seconds * 1000,
      p50Ms: quantile(window, 0.5),
      p99Ms: quantile(window, 0.99),
      verdicts: window.length,
      enqueued: sent - sentBefore,
      pending: latencies.pending,
      redisUsedBytes: Number(memory?.[1] ?? Number.NaN),
      workerCores: (m.process_cpu_seconds_total - workerCpuBefore) / sampleS,
      machineBusyCores: busyCores(cpuBefore, cpuNow, machine.cores),
    };
    sentBefore = sent;
    cpuBefore = cpuNow;
    workerCpuBefore = m.process_cpu_seconds_total;
    samples.push(sample);
    if (sample.t > warmupS) for (const v of window) measuredLatencies.push(v);
    console.log(
      `  t=${String(sample.t).padStart(4)} s  rss ${mb(sample.rssBytes)} MB  heap ${mb(sample.heapUsedBytes)} MB  ` +
        `loop p99 ${sample.eventLoopLagP99Ms.toFixed(1)} ms  p50/p99 ${sample.p50Ms.toFixed(0)}/` +
        `${sample.p99Ms.toFixed(0)} ms  verdicts ${sample.verdicts}  pending ${sample.pending}  ` +
        `cpu worker ${sample.workerCores.toFixed(2)} machine ${sample.machineBusyCores.toFixed(2)} cores`,
    );
    k++;
  }
})();
await Promise.all([sender, monitor]);

// Everything enqueued must end, and end delivered (the simulator accepts all).
const ended = await waitForNotifications(redis, { baseline, expected: { [APP]: sent }, timeoutMs: 120_000 });
await fleet.stopWorker(worker);
await producer.close();
redis.disconnect();
await fleet.close();

// 3. Verdict and report.
const measured = samples.filter((s) => s.t > warmupS);
const verdict = judgeSoak(measured);
const failures = [...verdict.failures];
const delivered = ended.byOutcome.delivered ?? 0;
if (delivered !== sent) failures.push(`${sent - delivered} of ${sent} notifications did not end delivered`);
measuredLatencies.sort((a, b) => a - b);
const peakRss = Math.max(...samples.map((s) => s.rssBytes));
const result = {
  verdict: failures.length === 0 ? 'pass' : 'fail',
  failures,
  rate_per_s: rate,
  capacity_per_s: capacityPerS ?? null,
  minutes: durationS / 60,
  warmup_s: warmupS,
  sample_s: sampleS,
  sent,
  delivered,
  rss_start_mb: round1(verdict.rss.startBytes / 2 ** 20),
  rss_end_mb: round1(verdict.rss.endBytes / 2 ** 20),
  rss_growth: round3(verdict.rss.growth),
  peak_rss_mb: round1(peakRss / 2 ** 20),
  p50_ms: quantile(measuredLatencies, 0.5),
  p99_ms: quantile(measuredLatencies, 0.99),
  p99_first_third_ms: round1(verdict.p99.firstThirdMs),
  p99_last_third_ms: round1(verdict.p99.lastThirdMs),
  p99_slope_ms_per_min: round3(verdict.p99.slopeMsPerMinute),
  event_loop_p99_ms: round1(median(measured.map((s) => s.eventLoopLagP99Ms))),
  worker_cores: round3(median(measured.map((s) => s.workerCores))),
  machine_busy_cores: round3(median(measured.map((s) => s.machineBusyCores))),
  goals: {
    rss_under_300_mb: peakRss < 300 * 2 ** 20,
    p99_under_250_ms: quantile(measuredLatencies, 0.99) < 250,
  },
};
const baseName = `soak-${startedAt.toISOString().slice(0, 16).replace(':', '')}Z`;
const { htmlPath, jsonPath } = await writeReport(
  values.out,
  baseName,
  soakReport({ result, samples, warmupS, machine, startedAt }),
  { result, machine, startedAt: startedAt.toISOString(), samples },
);
console.log(`report: ${htmlPath} (and ${jsonPath})`);
for (const f of failures) console.log(`FAIL: ${f}`);
console.log(JSON.stringify({ ...result, report: htmlPath }));
process.exit(failures.length === 0 ? 0 : 1);

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0).padStart(4);
}
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
