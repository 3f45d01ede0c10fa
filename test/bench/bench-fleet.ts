/**
 * The fleet that bench:e2e and the soak drive, each part in its own process as in a deployment: Redis (AOF on,
 * everysec), the simulator (bench:http2's, counters only, `simWorkers` processes sharing one port), and worker
 * processes (`apps/worker/dist/main.js`, the code the fleet runs) started on demand. Every child is killed when
 * this process exits, whatever happens.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NotificationInput, Producer } from '@pushfleet/queue';
import { type RedisCluster, startRedisCluster } from '@pushfleet/queue/redis-cluster';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import {
  type CertificateAuthority,
  createApnsClientCertificate,
  createCertificateAuthority,
  createProviderKey,
  createServerCertificate,
  type ProviderKey,
} from '@pushfleet/simulator/certificates';

export const BENCH_TOPIC = 'com.example.bench';
export const BENCH_APP = 'bench';
/** bench:http2's entry: `serve` runs the simulator, `client` one of its clients. */
export const HTTP2_BENCH = fileURLToPath(new URL('./http2.js', import.meta.url));
const WORKER_MAIN = fileURLToPath(new URL('../../../apps/worker/dist/main.js', import.meta.url));
/** bench:legacy's entry: `serve` runs the simulator's binary gateway, counters only. */
const LEGACY_BENCH = fileURLToPath(
  new URL('../../../packages/simulator/dist/bench/legacy.js', import.meta.url),
);

export type BenchTransport = 'http2' | 'legacy';

/** The simulator's binary gateway and a client certificate it accepts (for the raw LegacyClient). */
export interface BenchLegacyGateway {
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface BenchWorker {
  readonly child: ChildProcess;
  /** The worker's Prometheus endpoint. */
  readonly metricsUrl: string;
}

export interface BenchWorkerOptions {
  /** Jobs in flight per worker (PUSHFLEET_CONCURRENCY). */
  readonly concurrency: string;
  /** Write a CPU profile (node --cpu-prof) into this directory. */
  readonly profileDir?: string | undefined;
  /** Notifications in flight per worker (PUSHFLEET_MAX_IN_FLIGHT). @defaultValue the worker's default */
  readonly maxInFlight?: string | undefined;
}

export interface BenchFleet extends AsyncDisposable {
  readonly ca: CertificateAuthority;
  readonly key: ProviderKey;
  /** The simulator's CA as a file (for NODE_EXTRA_CA_CERTS and the worker's APNS_CA_FILE). */
  readonly caFile: string;
  /** The simulator's token endpoint. */
  readonly simUrl: string;
  /** What the workers' app sends over: token-auth HTTP/2, or certificate-auth legacy to `legacy`. */
  readonly transport: BenchTransport;
  /** Set with transport `legacy`. */
  readonly legacy: BenchLegacyGateway | undefined;
  /** The Redis the fleet uses: one redis-server, or with `redis: 'cluster'` a 3-master, 3-replica cluster. */
  readonly redisServer: { readonly url: string; close(): Promise<void> };
  /** Children killed when this process exits; a caller adds the ones it forks itself. */
  readonly children: ChildProcess[];
  /** Start the clock of the simulator's CPU (every process of the server the workers' app sends to). */
  markSimulator(): Promise<void>;
  /** The simulator's CPU since `markSimulator`, in µs: its own cost per notification, phase by phase. */
  simulatorCpuMicros(): Promise<number>;
  startWorker(options: BenchWorkerOptions): Promise<BenchWorker>;
  /** SIGTERM (the worker drains), then wait for it to exit. */
  stopWorker(worker: BenchWorker): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchFleet(options: {
  readonly simWorkers: number;
  /** @defaultValue `'http2'` */
  readonly transport?: BenchTransport;
  /** One redis-server, or a Redis Cluster of 3 masters and 3 replicas on loopback. @defaultValue `'single'` */
  readonly redis?: 'single' | 'cluster';
}): Promise<BenchFleet> {
  const transport = options.transport ?? 'http2';
  const ca = createCertificateAuthority();
  const server = createServerCertificate(ca, { hosts: ['localhost', '127.0.0.1'] });
  const key = createProviderKey();
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-bench-fleet-'));
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'AuthKey.p8');
  writeFileSync(caFile, ca.certPem, { mode: 0o600 });
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  const children: ChildProcess[] = [];
  let redisPid = -1;
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    // redis-server is spawned, not forked: without this it would outlive a bench that exits early.
    if (redisPid > 0) {
      try {
        process.kill(redisPid, 'SIGKILL');
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const sim = fork(HTTP2_BENCH, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(sim);
  sim.send({
    tls: { cert: server.certPem, key: server.keyPem, ca: ca.certPem },
    key,
    port: 0,
    workers: options.simWorkers,
  });
  const [ready] = (await once(sim, 'message')) as [{ url: string }];
  let redisServer: { readonly url: string; close(): Promise<void> };
  if (options.redis === 'cluster') {
    const cluster: RedisCluster = await startRedisCluster({
      masters: 3,
      replicasPerMaster: 1,
      persist: true,
    });
    redisServer = { url: cluster.url, close: () => cluster.stop() };
  } else {
    const single: RedisServer = await startRedisServer({ persist: true });
    redisPid = single.pid;
    redisServer = single;
  }

  // The workers' app: a token-auth HTTP/2 app by the APNS_* variables, or a legacy app by a config file.
  let appEnv: Record<string, string> = {
    PUSHFLEET_APP: BENCH_APP,
    APNS_URL: ready.url,
    APNS_CA_FILE: caFile,
    APNS_KEY_FILE: keyFile,
    APNS_KEY_ID: key.keyId,
    APNS_TEAM_ID: key.teamId,
  };
  let legacy: BenchLegacyGateway | undefined;
  let gateway: ChildProcess | undefined;
  if (transport === 'legacy') {
    gateway = fork(LEGACY_BENCH, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(gateway);
    gateway.send({ tls: { cert: server.certPem, key: server.keyPem, ca: ca.certPem } });
    const [{ port }] = (await once(gateway, 'message')) as [{ port: number }];
    const passphrase = 'bench-only-passphrase';
    const client = createApnsClientCertificate(ca, {
      bundleId: BENCH_TOPIC,
      teamId: 'BENCHTEAM1',
      passphrase,
    });
    const p12File = join(dir, 'legacy.p12');
    writeFileSync(p12File, client.p12, { mode: 0o600 });
    const configFile = join(dir, 'fleet.json');
    const app = {
      name: BENCH_APP,
      topics: [BENCH_TOPIC],
      transport: 'legacy',
      environment: `tls://127.0.0.1:${port}`,
      caFile,
      credentials: { type: 'certificate', certificate: p12File, passphraseEnv: 'BENCH_P12_PASSPHRASE' },
    };
    writeFileSync(configFile, JSON.stringify({ apps: [app] }), { mode: 0o600 });
    appEnv = { PUSHFLEET_CONFIG: configFile, BENCH_P12_PASSPHRASE: passphrase };
    legacy = { port, certPem: client.certPem, keyPem: client.keyPem };
  }

  const startWorker = async (w: BenchWorkerOptions): Promise<BenchWorker> => {
    const child = fork(WORKER_MAIN, [], {
      env: {
        PATH: process.env.PATH ?? '',
        // Node's flags reach the workers as they reach `pushfleet worker`'s forks (the image sets a semi-space).
        ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
        REDIS_URL: redisServer.url,
        ...appEnv,
        PUSHFLEET_METRICS_PORT: '0',
        PUSHFLEET_CONCURRENCY: w.concurrency,
        ...(w.maxInFlight !== undefined ? { PUSHFLEET_MAX_IN_FLIGHT: w.maxInFlight } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: w.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${w.profileDir}`] : [],
    });
    children.push(child);
    const [m] = (await once(child, 'message')) as [{ metricsUrl: string }];
    return { child, metricsUrl: m.metricsUrl };
  };
  // One question at a time to the server in use: the HTTP/2 simulator's primary sums its workers' CPU
  // ('mark' / 'cpu'); the legacy gateway restarts its clock at 'reset' (which also zeroes its counters, read by no
  // bench here) and answers `{waitFor: 0}` at once.
  const askServer = async <T>(message: unknown): Promise<T> => {
    const server = gateway ?? sim;
    const reply = once(server, 'message') as Promise<[T]>;
    server.send(message as string);
    return (await reply)[0];
  };
  const markSimulator = async (): Promise<void> => {
    await askServer(gateway ? 'reset' : 'mark');
  };
  const simulatorCpuMicros = async (): Promise<number> =>
    (await askServer<{ cpuMicros: number }>(gateway ? { waitFor: 0 } : 'cpu')).cpuMicros;
  const stopWorker = async (w: BenchWorker): Promise<void> => {
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = once(w.child, 'exit');
    w.child.kill('SIGTERM');
    await exited;
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const simExited = once(sim, 'exit');
      sim.send('stop');
      await simExited;
      if (gateway) {
        const gatewayExited = once(gateway, 'exit');
        gateway.send('stop');
        await gatewayExited;
      }
      await redisServer.close();
    })());
  return {
    ca,
    key,
    caFile,
    simUrl: ready.url,
    transport,
    legacy,
    redisServer,
    children,
    markSimulator,
    simulatorCpuMicros,
    startWorker,
    stopWorker,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Read gauges and counters (lines `name value`, no labels) from one scrape of a Prometheus endpoint. */
export async function scrapeMetrics<N extends string>(
  url: string,
  names: readonly N[],
): Promise<Record<N, number>> {
  const text = await (await fetch(url)).text();
  const out = {} as Record<N, number>;
  for (const name of names) {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    out[name] = line ? Number(line.split(' ')[1]) : Number.NaN;
  }
  return out;
}

/**
 * A worker's resident memory, from /proc where there is one: asking its /metrics every half second made the
 * worker render every series each time (1.9% of its busy CPU in a bench:e2e profile, charged to worker_cpu_us).
 */
export async function workerRssBytes(w: BenchWorker): Promise<number> {
  try {
    const status = readFileSync(`/proc/${w.child.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // No /proc (not Linux): the worker's own gauge.
  }
  return scrapeMetric(w.metricsUrl, 'process_resident_memory_bytes');
}

/** One metric from one scrape; 0 when the endpoint does not export it. */
export async function scrapeMetric(url: string, name: string): Promise<number> {
  const value = (await scrapeMetrics(url, [name]))[name] ?? Number.NaN;
  return Number.isNaN(value) ? 0 : value;
}

const SHARED_PAYLOAD = { aps: { alert: { title: 'pushfleet', body: 'the same to everyone' } } };

/** Bench notifications come in blocks of this many: a block is a fan-out, or distinct payloads. */
const BLOCK = 1000;

/** Whether block `b` is a fan-out: spread evenly, so a share of 0.2 makes every fifth block one. */
function fanOutBlock(b: number, fanOutShare: number): boolean {
  return Math.floor((b + 1) * fanOutShare) > Math.floor(b * fanOutShare);
}

/**
 * Notification `n` of a bench run: the blocks of 1,000 that `fanOutShare` picks are one shared payload to many
 * tokens (sent by `sendBench` through the SDK's `fanOut`), the rest a distinct payload each; every token is
 * distinct.
 */
export function benchNotification(n: number, fanOutShare: number): NotificationInput {
  const fanOut = fanOutBlock(Math.floor(n / BLOCK), fanOutShare);
  return {
    token: n.toString(16).padStart(64, '0'),
    topic: BENCH_TOPIC,
    payload: fanOut ? SHARED_PAYLOAD : { aps: { alert: `notification ${n}` }, n },
  };
}

/**
 * Enqueue bench notifications `from` to `from + count - 1` through the SDK, as a producer would: the fan-out
 * blocks' with `fanOut` (the payload validated and serialized once), the rest with `sendMany`. Ids in order.
 */
export async function sendBench(
  producer: Producer,
  from: number,
  count: number,
  fanOutShare: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let n = from; n < from + count; ) {
    const block = Math.floor(n / BLOCK);
    const end = Math.min(from + count, (block + 1) * BLOCK);
    const batch = Array.from({ length: end - n }, (_, k) => benchNotification(n + k, fanOutShare));
    const sent = fanOutBlock(block, fanOutShare)
      ? await producer.fanOut({
          topic: BENCH_TOPIC,
          payload: SHARED_PAYLOAD,
          tokens: batch.map((x) => x.token),
        })
      : await producer.sendMany(batch);
    ids.push(...sent.ids);
    n = end;
  }
  return ids;
}
