/**
 * `npm run bench:e2e`: the whole fleet end to end against the raw transport, in one run, against one simulator.
 *
 *   node test/dist/bench/e2e.js [--notifications 200000] [--workers 1] [--concurrency 64] [--sim-workers 2]
 *                               [--connections 2] [--fan-out 0.2] [--profile DIR] [--transport http2|legacy]
 *                               [--redis single|cluster] [--job-size 100] [--callers 1] [--max-in-flight N]
 *
 * Processes: Redis (AOF on, everysec: what a deployment runs; `--redis cluster`: a 3-master, 3-replica Redis
 * Cluster on loopback, AOF on every node), the simulator (bench:http2's, counters only, in its
 * own processes sharing one port), `--workers` worker processes (`apps/worker/dist/main.js`, the code the fleet
 * runs), and this one as the producer (the SDK's `sendMany`, and `fanOut` for the fan-out share).
 *
 * 1. raw: bench:http2's `ours` client (Http2Pool, `--connections` sessions, 1,000 in flight) sends as many
 *    notifications straight to the simulator: the ceiling the queue is measured against.
 * 2. e2e: after the same warm-up as the raw client's (5,000 notifications, here through the whole fleet, not
 *    counted), the producer enqueues `--notifications` in calls of 1,000: a share `--fan-out` of the calls are `fanOut`
 *    (one payload to 1,000 tokens), the rest `sendMany` of distinct payloads; the workers deliver them. Delivery rate is from the first enqueue to
 *    the last final outcome (read from the fleet's own per-notification records), latency is enqueue to final
 *    outcome per notification, worker CPU comes from the workers' /metrics and RSS from /proc (sampled twice a second).
 *
 * CPU per notification of every process, in both phases, so a run shows where the two cores went (on 2 busy
 * cores a rate is about 2 / the CPU µs all processes spend per notification): the raw client's and the
 * simulator's in phase 1; the workers', Redis's, the simulator's and this process's (the SDK's producer, and
 * the bench's polls) in phase 2. The simulator's comes from its own processes (CPU since a mark).
 *
 * `--transport legacy`: the same through the binary gateway (the simulator's, in its own process, counters only)
 * with a certificate-auth legacy app in the workers; the raw ceiling is then the `LegacyClient` with the fleet's
 * defaults (its resend ring) sending straight to the gateway. Both are timed to the last verdict, one delivery
 * window (500 ms) after the last write.
 *
 * The last line is one JSON object: e2e_per_s, raw_per_s, ratio, p50_ms, p99_ms, enqueue_per_s, worker_rss_mb,
 * worker_cpu_us (per notification), raw_cpu_us, redis_cpu_us (Redis's CPU per notification, INFO cpu),
 * producer_cpu_us (this process, first enqueue to last outcome), sim_cpu_us and raw_sim_cpu_us (the
 * simulator's, in the fleet's phase and in the raw client's).
 */
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { ApnsRequest } from '@pushfleet/apns';
import { LegacyClient } from '@pushfleet/apns-legacy';
import {
  connectRedis,
  createProducer,
  outcomeCounts,
  readFinalBucket,
  statusBucketOf,
  waitForNotifications,
} from '@pushfleet/queue';
import { Cluster } from 'ioredis';
import {
  BENCH_APP as APP,
  type BenchLegacyGateway,
  benchNotification,
  HTTP2_BENCH,
  scrapeMetric as metric,
  sendBench,
  startBenchFleet,
  BENCH_TOPIC as TOPIC,
  workerRssBytes,
} from './bench-fleet.js';
import type { ClientJob, ClientReport } from './http2-protocol.js';

const { values } = parseArgs({
  options: {
    notifications: { type: 'string', default: '200000' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '64' },
    'sim-workers': { type: 'string', default: '2' },
    connections: { type: 'string', default: '2' },
    'fan-out': { type: 'string', default: '0.2' },
    /** Producer calls in flight at once (a backend's request handlers each enqueueing). */
    callers: { type: 'string', default: '1' },
    /** Notifications per job from sendMany (the SDK's jobSize; its default when left out). */
    'job-size': { type: 'string' },
    /** Write a CPU profile of each worker (node --cpu-prof) into this directory. */
    profile: { type: 'string' },
    transport: { type: 'string', default: 'http2' },
    /** `single` (one redis-server) or `cluster` (3 masters + 3 replicas). */
    redis: { type: 'string', default: 'single' },
    /** The workers' PUSHFLEET_MAX_IN_FLIGHT (their default when left out). */
    'max-in-flight': { type: 'string' },
  },
});
const transport = values.transport;
if (transport !== 'http2' && transport !== 'legacy') throw new Error('--transport: http2 or legacy');
if (values.redis !== 'single' && values.redis !== 'cluster')
  throw new Error(`--redis: must be single or cluster; got "${values.redis}"`);
const total = Number(values.notifications);
/** Sent through each contender before its clock starts: the raw client's `warmup`, and the fleet's. */
const WARM_UP = 5000;
const workerCount = Number(values.workers);
const connections = Number(values.connections);
const fanOutShare = Number(values['fan-out']);
const callers = Number(values.callers);
if (!(Number.isSafeInteger(callers) && callers >= 1))
  throw new Error(`--callers: must be a whole number of at least 1; got "${values.callers}"`);

// Redis (AOF), the simulator and the worker processes: test/bench/bench-fleet.ts, shared with the soak.
const fleet = await startBenchFleet({
  simWorkers: Number(values['sim-workers']),
  transport,
  redis: values.redis,
});
const { ca, key, caFile, children, redisServer } = fleet;
const ready = { url: fleet.simUrl };
const { client: redis } = connectRedis(redisServer.url);

// 1. The raw transport on the same simulator.
const raw = fleet.legacy ? await rawLegacy(fleet.legacy) : await rawHttp2();

// 2. The fleet: workers, then the producer.
const workers = await Promise.all(
  Array.from({ length: workerCount }, () =>
    fleet.startWorker({
      concurrency: values.concurrency,
      profileDir: values.profile,
      maxInFlight: values['max-in-flight'],
    }),
  ),
);
const jobSize = values['job-size'] === undefined ? undefined : Number(values['job-size']);
if (jobSize !== undefined && !(Number.isSafeInteger(jobSize) && jobSize >= 1))
  throw new Error(`--job-size: must be a whole number of at least 1; got "${values['job-size']}"`);
const producer = createProducer({ redis: redisServer.url, app: APP, ...(jobSize ? { jobSize } : {}) });
await warmUp();
const baseline = { [APP]: await outcomeCounts(redis, APP) };
const cpuBefore = await Promise.all(workers.map((w) => metric(w.metricsUrl, 'process_cpu_seconds_total')));
const redisCpuBefore = await redisCpuSeconds();
await fleet.markSimulator();
let peakRss = 0;
const rssTimer = setInterval(async () => {
  const rss = await Promise.all(workers.map(workerRssBytes));
  peakRss = Math.max(peakRss, ...rss);
}, 500);

// Each call's ids and when it was made: kept as they come, made into a map after the clock stops (a map
// of 200,000 ids built during the run was ~1 µs per notification of the 2 cores the fleet runs on).
const calls: (readonly [ids: readonly string[], at: number])[] = [];
const started = Date.now();
const producerCpuBefore = process.cpuUsage();
let nextCall = 0;
/** One caller: takes the next call of 1,000 until none is left (`--callers` of them run at once). */
async function caller(): Promise<void> {
  while (nextCall < total) {
    const i = nextCall;
    nextCall += 1000;
    const at = Date.now();
    const ids = await sendBench(producer, i, Math.min(1000, total - i), fanOutShare);
    calls.push([ids, at]);
  }
}
await Promise.all(Array.from({ length: callers }, caller));
const enqueueSeconds = (Date.now() - started) / 1000;
const outcome = await waitForNotifications(redis, {
  baseline,
  expected: { [APP]: total },
  timeoutMs: 30 * 60_000,
  pollMs: 50,
});
const deliverSeconds = (Date.now() - started) / 1000;
const producerCpu = process.cpuUsage(producerCpuBefore);
const simCpuMicros = await fleet.simulatorCpuMicros();
clearInterval(rssTimer);
const cpuAfter = await Promise.all(workers.map((w) => metric(w.metricsUrl, 'process_cpu_seconds_total')));
const workerCpu = cpuAfter.reduce((s, v, i) => s + v - cpuBefore[i]!, 0);
const redisCpu = (await redisCpuSeconds()) - redisCpuBefore;

// Latency: enqueue to final outcome, per notification, from the fleet's own records.
const enqueuedAt = new Map<string, number>();
for (const [ids, at] of calls) for (const id of ids) enqueuedAt.set(id, at);
const latencies: number[] = [];
for (let bucket = statusBucketOf(started); bucket <= statusBucketOf(Date.now()); bucket++)
  for (const [id, record] of await readFinalBucket(redis, APP, bucket)) {
    const from = enqueuedAt.get(id);
    if (from !== undefined) latencies.push(record.at - from);
  }
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;

await producer.close();
for (const w of workers) await fleet.stopWorker(w);
redis.disconnect();
await fleet.close();

const delivered = outcome.byOutcome.delivered ?? 0;
const e2ePerS = Math.round(delivered / deliverSeconds);
const result = {
  notifications: total,
  delivered,
  e2e_per_s: e2ePerS,
  raw_per_s: Math.round(raw.perSecond),
  ratio: Number((e2ePerS / raw.perSecond).toFixed(3)),
  p50_ms: pct(0.5),
  p99_ms: pct(0.99),
  enqueue_per_s: Math.round(total / enqueueSeconds),
  worker_rss_mb: Math.round(peakRss / 2 ** 20),
  worker_cpu_us: Number(((workerCpu * 1e6) / total).toFixed(1)),
  raw_cpu_us: Number(raw.cpuMicrosPerNotification.toFixed(1)),
  redis_cpu_us: Number(((redisCpu * 1e6) / total).toFixed(1)),
  producer_cpu_us: Number(((producerCpu.user + producerCpu.system) / total).toFixed(1)),
  sim_cpu_us: Number((simCpuMicros / total).toFixed(1)),
  raw_sim_cpu_us: Number(raw.simCpuMicrosPerNotification.toFixed(1)),
  workers: workerCount,
  transport,
  redis: values.redis,
};
console.log(
  `raw ${fleet.legacy ? 'LegacyClient' : 'Http2Pool'}: ${result.raw_per_s}/s, ${result.raw_cpu_us} µs CPU per notification ` +
    `(simulator ${result.raw_sim_cpu_us} µs)\n` +
    `fleet (${workerCount} worker process(es)): enqueue ${result.enqueue_per_s}/s, delivered ${delivered}/${total} ` +
    `at ${e2ePerS}/s (ratio ${result.ratio}), enqueue-to-verdict p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms, ` +
    `worker ${result.worker_cpu_us} µs CPU per notification (Redis ${result.redis_cpu_us} µs, producer ` +
    `${result.producer_cpu_us} µs, simulator ${result.sim_cpu_us} µs), peak RSS ${result.worker_rss_mb} MB`,
);
console.log(JSON.stringify(result));
process.exit(0);

/**
 * The fleet's warm-up, the raw client's own: WARM_UP notifications through producer, Redis and workers before
 * the clock starts (sessions open, code compiled), then not counted. Their tokens follow the measured ones.
 */
async function warmUp(): Promise<void> {
  const before = { [APP]: await outcomeCounts(redis, APP) };
  for (let i = 0; i < WARM_UP; i += 1000)
    await sendBench(producer, total + i, Math.min(1000, WARM_UP - i), fanOutShare);
  const warm = await waitForNotifications(redis, {
    baseline: before,
    expected: { [APP]: WARM_UP },
    timeoutMs: 120_000,
    pollMs: 50,
  });
  if (warm.ended < WARM_UP) throw new Error(`warm-up: ${warm.ended}/${WARM_UP} ended in 120 s`);
}

/** CPU seconds Redis has used (INFO cpu), all masters of a cluster together: its share of the run. */
async function redisCpuSeconds(): Promise<number> {
  let seconds = 0;
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    const info = await node.info('cpu');
    for (const name of ['used_cpu_sys', 'used_cpu_user'])
      seconds += Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  }
  return seconds;
}

/** What the raw phase measured: the client's rate and CPU, and the simulator's CPU over the same notifications. */
type RawReport = Pick<ClientReport, 'perSecond' | 'cpuMicrosPerNotification'> & {
  readonly simCpuMicrosPerNotification: number;
};

/** bench:http2's `ours` client (Http2Pool, `--connections` sessions, 1,000 in flight), in its own process. */
async function rawHttp2(): Promise<RawReport> {
  const rawJob: ClientJob = {
    name: 'ours',
    url: ready.url,
    ca: ca.certPem,
    key,
    topic: TOPIC,
    requests: total,
    window: 1000,
    warmup: WARM_UP,
    connections,
  };
  const client = fork(HTTP2_BENCH, ['client'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  children.push(client);
  client.send(rawJob);
  const report = await new Promise<ClientReport>((resolve, reject) => {
    client.on('message', (m: unknown) => {
      // After its warm-up the client waits for 'go': the simulator's CPU clock starts there.
      if (m === 'warm') void fleet.markSimulator().then(() => client.send('go'), reject);
      else if (typeof m === 'object' && m !== null) resolve(m as ClientReport);
    });
    client.once('exit', (code) => reject(new Error(`raw client exited with ${code} before reporting`)));
  });
  return { ...report, simCpuMicrosPerNotification: (await fleet.simulatorCpuMicros()) / total };
}

/** The LegacyClient with the fleet's defaults, in this process, 1,000 sends per event-loop turn. */
async function rawLegacy(gateway: BenchLegacyGateway): Promise<RawReport> {
  const legacy = new LegacyClient({
    host: '127.0.0.1',
    port: gateway.port,
    ca: ca.certPem,
    cert: gateway.certPem,
    key: gateway.keyPem,
  });
  const request = (n: number): ApnsRequest => {
    const x = benchNotification(n, fanOutShare);
    return { token: x.token, topic: TOPIC, pushType: 'alert', payload: JSON.stringify(x.payload) };
  };
  await Promise.all(Array.from({ length: WARM_UP }, (_, i) => legacy.send(request(total + i)))); // warm-up
  await fleet.markSimulator();
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Through `submit`, as the worker sends: no promise per notification.
  await new Promise<void>((resolve, reject) => {
    let left = total;
    const receiver = {
      resolve: () => {
        if (--left === 0) resolve();
      },
      reject,
    };
    const sendFrom = (i: number): void => {
      for (let n = i; n < Math.min(total, i + 1000); n++) legacy.submit(request(n), receiver);
      if (i + 1000 < total) setImmediate(sendFrom, i + 1000);
    };
    sendFrom(0);
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const simCpuMicros = await fleet.simulatorCpuMicros();
  await legacy.close();
  return {
    perSecond: total / seconds,
    cpuMicrosPerNotification: (used.user + used.system) / total,
    simCpuMicrosPerNotification: simCpuMicros / total,
  };
}
