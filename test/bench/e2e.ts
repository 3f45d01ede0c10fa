/**
 * `npm run bench:e2e`: the whole fleet end to end against the raw transport, in one run, against one simulator.
 *
 *   node test/dist/bench/e2e.js [--notifications 200000] [--workers 1] [--concurrency 64] [--sim-workers 2]
 *                               [--connections 2] [--fan-out 0.2] [--profile DIR] [--redis single|cluster]
 *
 * Processes: Redis (AOF on, everysec: what a deployment runs; `--redis cluster`: a 3-master, 3-replica Redis
 * Cluster on loopback, AOF on every node), the simulator (bench:http2's, counters only, in its
 * own processes sharing one port), `--workers` worker processes (`apps/worker/dist/main.js`, the code the fleet
 * runs), and this one as the producer (the SDK's `sendMany`).
 *
 * 1. raw: bench:http2's `ours` client (Http2Pool, `--connections` sessions, 1,000 in flight) sends as many
 *    notifications straight to the simulator: the ceiling the queue is measured against.
 * 2. e2e: the producer enqueues `--notifications` (a share `--fan-out` of them one payload to many tokens, the rest
 *    distinct payloads) in batches of 1,000; the workers deliver them. Delivery rate is from the first enqueue to
 *    the last final outcome (read from the fleet's own per-notification records), latency is enqueue to final
 *    outcome per notification, worker CPU and RSS come from the workers' /metrics.
 *
 * The last line is one JSON object: e2e_per_s, raw_per_s, ratio, p50_ms, p99_ms, enqueue_per_s, worker_rss_mb,
 * worker_cpu_us (per notification), raw_cpu_us.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  connectRedis,
  createProducer,
  type FinalRecord,
  outcomeCounts,
  waitForNotifications,
} from '@pushfleet/queue';
import { startRedisCluster } from '@pushfleet/queue/redis-cluster';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import {
  createCertificateAuthority,
  createProviderKey,
  createServerCertificate,
} from '@pushfleet/simulator/certificates';
import { Cluster } from 'ioredis';
import type { ClientJob, ClientReport } from './http2-protocol.js';

const TOPIC = 'com.example.bench';
const APP = 'bench';
const HTTP2_BENCH = fileURLToPath(new URL('./http2.js', import.meta.url));
const WORKER_MAIN = fileURLToPath(new URL('../../../apps/worker/dist/main.js', import.meta.url));

const { values } = parseArgs({
  options: {
    notifications: { type: 'string', default: '200000' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '64' },
    'sim-workers': { type: 'string', default: '2' },
    connections: { type: 'string', default: '2' },
    'fan-out': { type: 'string', default: '0.2' },
    /** Write a CPU profile of each worker (node --cpu-prof) into this directory. */
    profile: { type: 'string' },
    /** `single` (one redis-server) or `cluster` (3 masters + 3 replicas). */
    redis: { type: 'string', default: 'single' },
  },
});
const total = Number(values.notifications);
const workerCount = Number(values.workers);
const connections = Number(values.connections);
const fanOutShare = Number(values['fan-out']);
if (values.redis !== 'single' && values.redis !== 'cluster')
  throw new Error(`--redis: must be single or cluster; got "${values.redis}"`);

const ca = createCertificateAuthority();
const server = createServerCertificate(ca, { hosts: ['localhost', '127.0.0.1'] });
const key = createProviderKey();
const dir = mkdtempSync(join(tmpdir(), 'pushfleet-e2e-'));
const caFile = join(dir, 'ca.pem');
const keyFile = join(dir, 'AuthKey.p8');
writeFileSync(caFile, ca.certPem, { mode: 0o600 });
writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const sim = fork(HTTP2_BENCH, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
children.push(sim);
sim.send({
  tls: { cert: server.certPem, key: server.keyPem, ca: ca.certPem },
  key,
  port: 0,
  workers: Number(values['sim-workers']),
});
const [ready] = (await once(sim, 'message')) as [{ url: string }];
await using redisServer =
  values.redis === 'cluster'
    ? await startRedisCluster({ masters: 3, replicasPerMaster: 1, persist: true })
    : await startRedisServer({ persist: true });
const { client: redis } = connectRedis(redisServer.url);

// 1. The raw transport on the same simulator.
const rawJob: ClientJob = {
  name: 'ours',
  url: ready.url,
  ca: ca.certPem,
  key,
  topic: TOPIC,
  requests: total,
  window: 1000,
  warmup: 5000,
  connections,
};
const client = fork(HTTP2_BENCH, ['client'], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
});
children.push(client);
client.send(rawJob);
const raw = await new Promise<ClientReport>((resolve, reject) => {
  client.on('message', (m: unknown) => {
    // After its warm-up the client waits for 'go' (bench:http2 resets the simulator's CPU clock there).
    if (m === 'warm') client.send('go');
    else if (typeof m === 'object' && m !== null) resolve(m as ClientReport);
  });
  client.once('exit', (code) => reject(new Error(`raw client exited with ${code} before reporting`)));
});

// 2. The fleet: workers, then the producer.
const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker()));
const producer = createProducer({ redis: redisServer.url, app: APP });
const baseline = { [APP]: await outcomeCounts(redis, APP) };
const cpuBefore = await Promise.all(workers.map((w) => metric(w.metricsUrl, 'process_cpu_seconds_total')));
let peakRss = 0;
const rssTimer = setInterval(async () => {
  const rss = await Promise.all(workers.map((w) => metric(w.metricsUrl, 'process_resident_memory_bytes')));
  peakRss = Math.max(peakRss, ...rss);
}, 500);

const enqueuedAt = new Map<string, number>();
const started = Date.now();
const sharedPayload = { aps: { alert: { title: 'pushfleet', body: 'the same to everyone' } } };
for (let i = 0; i < total; i += 1000) {
  const batch = Array.from({ length: Math.min(1000, total - i) }, (_, k) => {
    const n = i + k;
    const fanOut = (n % 100) / 100 < fanOutShare;
    return {
      token: n.toString(16).padStart(64, '0'),
      topic: TOPIC,
      payload: fanOut ? sharedPayload : { aps: { alert: `notification ${n}` }, n },
    };
  });
  const at = Date.now();
  const { ids } = await producer.sendMany(batch);
  for (const id of ids) enqueuedAt.set(id, at);
}
const enqueueSeconds = (Date.now() - started) / 1000;
const outcome = await waitForNotifications(redis, {
  baseline,
  expected: { [APP]: total },
  timeoutMs: 30 * 60_000,
  pollMs: 50,
});
const deliverSeconds = (Date.now() - started) / 1000;
clearInterval(rssTimer);
const cpuAfter = await Promise.all(workers.map((w) => metric(w.metricsUrl, 'process_cpu_seconds_total')));
const workerCpu = cpuAfter.reduce((s, v, i) => s + v - cpuBefore[i]!, 0);

// Latency: enqueue to final outcome, per notification, from the fleet's own records.
const latencies: number[] = [];
// KEYS runs on one server: on a cluster, ask each master (the app's keys are all on one of them).
for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis])
  for (const key of await node.keys(`{pushfleet:${APP}}:final:*`)) {
    const all = await node.hgetall(key);
    for (const [id, json] of Object.entries(all)) {
      const from = enqueuedAt.get(id);
      if (from !== undefined) latencies.push((JSON.parse(json) as FinalRecord).at - from);
    }
  }
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;

await producer.close();
for (const w of workers) {
  const exited = once(w.child, 'exit');
  w.child.kill('SIGTERM');
  await exited;
}
sim.send('stop');
redis.disconnect();

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
  workers: workerCount,
  redis: values.redis,
};
console.log(
  `raw Http2Pool: ${result.raw_per_s}/s, ${result.raw_cpu_us} µs CPU per notification\n` +
    `fleet (${workerCount} worker process(es)): enqueue ${result.enqueue_per_s}/s, delivered ${delivered}/${total} ` +
    `at ${e2ePerS}/s (ratio ${result.ratio}), enqueue-to-verdict p50 ${result.p50_ms} ms p99 ${result.p99_ms} ms, ` +
    `worker ${result.worker_cpu_us} µs CPU per notification, peak RSS ${result.worker_rss_mb} MB`,
);
console.log(JSON.stringify(result));
process.exit(0);

async function startWorker(): Promise<{ child: ChildProcess; metricsUrl: string }> {
  const child = fork(WORKER_MAIN, [], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: redisServer.url,
      PUSHFLEET_APP: APP,
      APNS_URL: ready.url,
      APNS_CA_FILE: caFile,
      APNS_KEY_FILE: keyFile,
      APNS_KEY_ID: key.keyId,
      APNS_TEAM_ID: key.teamId,
      PUSHFLEET_METRICS_PORT: '0',
      PUSHFLEET_CONCURRENCY: values.concurrency,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [],
  });
  children.push(child);
  const [m] = (await once(child, 'message')) as [{ metricsUrl: string }];
  return { child, metricsUrl: m.metricsUrl };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
