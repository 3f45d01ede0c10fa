/**
 * A worker as its own process (`node apps/worker/dist/main.js`, built by `npm test`), configured by
 * environment variables for one token-auth app against a simulator: for tests that kill workers.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@pushfleet/queue/redis-server';
import type { ProviderKey, Simulator } from '@pushfleet/simulator';

const MAIN = fileURLToPath(new URL('../../../apps/worker/dist/main.js', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  /** Everything it wrote to stderr (its JSON log lines). */
  log(): string;
}

/** Write the app's secrets where a worker process can read them (0600). */
export function writeAppFiles(sim: Simulator, key: ProviderKey): { keyFile: string; caFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-worker-'));
  const keyFile = join(dir, 'AuthKey.p8');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  writeFileSync(caFile, sim.ca, { mode: 0o600 });
  return { keyFile, caFile };
}

export async function startWorkerProcess(options: {
  redisUrl: string;
  app: string;
  sim: Simulator;
  key: ProviderKey;
  files: { keyFile: string; caFile: string };
  env?: Record<string, string>;
}): Promise<WorkerProcess> {
  return forkWorkerMain({
    REDIS_URL: options.redisUrl,
    PUSHFLEET_APP: options.app,
    APNS_URL: options.sim.url,
    APNS_CA_FILE: options.files.caFile,
    APNS_KEY_FILE: options.files.keyFile,
    APNS_KEY_ID: options.key.keyId,
    APNS_TEAM_ID: options.key.teamId,
    PUSHFLEET_METRICS_PORT: '0',
    ...options.env,
  });
}

/** `apps/worker/dist/main.js` in a process of its own with this environment (and PATH), once it is ready. */
export async function forkWorkerMain(env: Record<string, string>): Promise<WorkerProcess> {
  let stderr = '';
  const child = fork(MAIN, [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const metricsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${stderr}`)), 20_000);
    child.on('message', (m: { type?: string; metricsUrl?: string }) => {
      if (m.type === 'ready' && m.metricsUrl) {
        clearTimeout(timer);
        resolve(m.metricsUrl);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited ${code} before it was ready:\n${stderr}`));
    });
  });
  return { child, metricsUrl, log: () => stderr };
}

/** Sum of a metric's samples whose line contains `match`, read from a /metrics URL. */
export async function metricSum(metricsUrl: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

export async function stopWorkerProcess(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise((r) => w.child.once('exit', r));
  w.child.kill('SIGTERM');
  await exited;
}

/**
 * The first of `count` consecutive ports free on 127.0.0.1 (the workers' metrics host) a moment ago: for
 * `pushfleet worker --processes N`, whose processes take PUSHFLEET_METRICS_PORT + i. A random base could land on
 * a port another test's socket held.
 */
export async function freeConsecutivePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count > 65_536) continue;
    let all = true;
    for (let i = 1; i < count && all; i++) all = await canListen(base + i);
    if (all) return base;
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1 in 50 tries`);
}

/** Whether `port` on 127.0.0.1 could be listened on a moment ago. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
