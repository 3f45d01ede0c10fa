/**
 * The APNs simulator as `pushfleet start`'s child process: in a process of its own, so its TLS and HTTP/2 work
 * does not share the CLI's event loop with the demo's producer (in the CLI process it halved the demo's rate:
 * 8,392/s, against 12,210/s for bench:e2e with one simulator process). Counters only, never a record of every
 * request. Reads its credentials directory and topic from PUSHFLEET_SIMULATOR_DIR and _TOPIC, reports
 * `{ type: 'ready', url, managementUrl }` over IPC, and stops on SIGTERM, SIGINT or when the CLI goes away.
 *
 * PUSHFLEET_SIMULATOR_PROCESSES (default: 2, or 1 on a machine of one core) simulator processes share its ports
 * (node:cluster hands each connection to one of them), as bench:e2e's do: one process answered the demo at 68%
 * of the bench's rate. Each keeps the channel registry, and relays every change it makes to the others through
 * this process, so a channel created on one connection is known on all of them.
 *
 * PUSHFLEET_SIMULATOR_ENVIRONMENT is the APNs environment it plays: `development` (the sandbox, the default:
 * what an app is built against, with `apns-unique-id` on every 200) or `production` (no unique ids, as
 * bench:e2e's simulator; the demo runs it so, since the sandbox's extra header cost the simulator ~20% more CPU
 * per request and the worker ~1-3 µs, a gap between the demo and the bench that was the sandbox's, not the fleet's).
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { type ChannelChange, startSimulator } from '@pushfleet/simulator';
import { ensureSimulatorCredentials } from './simulator-credentials.js';

const dir = process.env.PUSHFLEET_SIMULATOR_DIR;
const topic = process.env.PUSHFLEET_SIMULATOR_TOPIC;
if (!dir || !topic) {
  process.stderr.write('simulator: PUSHFLEET_SIMULATOR_DIR and PUSHFLEET_SIMULATOR_TOPIC are required\n');
  process.exit(1);
}
const processes = simulatorProcesses(process.env.PUSHFLEET_SIMULATOR_PROCESSES);
const environment = simulatorEnvironment(process.env.PUSHFLEET_SIMULATOR_ENVIRONMENT);

interface ChannelMessage {
  readonly type: 'channel';
  readonly change: ChannelChange;
}
const isChannelMessage = (m: unknown): m is ChannelMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'channel';

if (cluster.isPrimary && processes > 1) await runPrimary(dir, topic, processes);
else await runSimulator(dir, topic);

/** One simulator; in a cluster, its channel changes go to the primary and the others' come back from it. */
async function runSimulator(dir: string, topic: string): Promise<void> {
  const creds = await ensureSimulatorCredentials(dir, topic);
  const sim = await startSimulator({
    tls: { cert: creds.serverCertPem, key: creds.serverKeyPem, ca: creds.caPem },
    keys: [{ keyId: creds.keyId, teamId: creds.teamId, publicKeyPem: creds.publicKeyPem }],
    topics: [topic],
    record: 'counters',
    environment,
  });
  if (cluster.isWorker) {
    sim.channels.onChange = (change) => process.send?.({ type: 'channel', change } satisfies ChannelMessage);
    process.on('message', (m: unknown) => {
      if (isChannelMessage(m)) sim.channels.apply(m.change);
    });
  }
  process.send?.({ type: 'ready', url: sim.url, managementUrl: sim.managementUrl });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

/** Fork the simulators, relay their channel changes, report ready once all listen, stop them all together. */
async function runPrimary(dir: string, topic: string, count: number): Promise<void> {
  await ensureSimulatorCredentials(dir, topic); // made once here, not raced by the workers
  const workers: Worker[] = [];
  let stopping = false;
  const readies = Array.from({ length: count }, () => {
    const worker = cluster.fork();
    workers.push(worker);
    worker.on('message', (m: unknown) => {
      if (!isChannelMessage(m)) return;
      for (const other of workers) if (other !== worker && other.isConnected()) other.send(m);
    });
    // One simulator gone is the simulator gone: start's supervisor sees this process exit, and says so.
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`simulator: process ${worker.process.pid} exited (${signal ?? code}); stopping\n`);
      void stop(1);
    });
    return new Promise<Record<string, unknown>>((resolve) => {
      const onReady = (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') {
          worker.off('message', onReady);
          resolve(m as Record<string, unknown>);
        }
      };
      worker.on('message', onReady);
    });
  });
  const [first] = await Promise.all(readies);
  process.send?.(first);

  async function stop(code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      workers.map(async (w) => {
        if (w.process.exitCode !== null || w.process.signalCode !== null) return;
        const exited = once(w.process, 'exit');
        w.process.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        w.process.kill('SIGKILL');
      }),
    );
    process.exit(code);
  }
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('disconnect', () => void stop(0));
}

/** PUSHFLEET_SIMULATOR_PROCESSES, checked; by default 2, or 1 on a machine of one core. */
function simulatorProcesses(raw: string | undefined): number {
  if (raw === undefined || raw === '') return Math.min(2, availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    process.stderr.write(
      `simulator: PUSHFLEET_SIMULATOR_PROCESSES must be a whole number from 1 to 64; got "${raw}"\n`,
    );
    process.exit(1);
  }
  return n;
}

/** PUSHFLEET_SIMULATOR_ENVIRONMENT, checked; by default the sandbox (`development`). */
function simulatorEnvironment(raw: string | undefined): 'development' | 'production' {
  if (raw === undefined || raw === '') return 'development';
  if (raw === 'development' || raw === 'production') return raw;
  process.stderr.write(
    `simulator: PUSHFLEET_SIMULATOR_ENVIRONMENT must be development or production; got "${raw}"\n`,
  );
  process.exit(1);
}
