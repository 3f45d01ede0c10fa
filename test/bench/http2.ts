/**
 * `npm run bench:http2`: our HTTP/2 transport against the Node APNs clients people use, in one run, against one
 * simulator.
 *
 *   node test/dist/bench/http2.js [--requests 100000] [--window 1000] [--runs 3] [--warmup 5000]
 *                                 [--clients ours,ours-1,node-apn,node-apn-multi,apns2,bare] [--connections 2]
 *                                 [--sim-workers 2]
 *
 * Processes: the simulator (`startSimulator`, token auth, counters only, production environment so answers carry
 * no sandbox-only header) runs in its own child process on 127.0.0.1:443 when it can bind it (`apns2` only ever
 * connects to port 443), else on a free port, and `apns2` is then skipped with a note. Each client runs in its own
 * child process, so its CPU time and peak RSS are its own; clients take turns, `--runs` times, and every figure
 * printed is the median over the runs.
 *
 * Every contender holds the same number of connections as the one it is compared with: `ours` (Http2Pool fixed at
 * `--connections` sessions) against node-apn's `MultiProvider` with `clientCount` = `--connections`; `ours-1` (one
 * session) against node-apn's `Provider` (one connection); apns2 holds one connection too.
 *
 * Each client sends `--requests` distinct notifications (distinct device token and apns-id, one shared payload),
 * keeping `--window` in flight, after `--warmup` unmeasured ones on the same connections. Per client: notifications
 * per second, p50/p99 latency from `send()` to its answer, client CPU seconds per 10,000 notifications, peak RSS,
 * and the simulator's own CPU per notification during that client's run (when the simulator's core is saturated
 * it, not the client, sets the rate; the note says so).
 *
 * The last line is one JSON object (test/bench/http2-results.ts): per client <name>_per_s, _cpu_us, _p99_ms;
 * ratio and cpu_ratio of ours against node-apn-multi (same connections), ratio_one_connection and
 * cpu_ratio_one_connection of ours-1 against node-apn; and the simulator's CPU figures.
 */
import { fork } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulator } from '@pushfleet/simulator';
import {
  createCertificateAuthority,
  createProviderKey,
  createServerCertificate,
  type ProviderKey,
} from '@pushfleet/simulator/certificates';
import { CLIENT_NAMES, type ClientName, runClient } from './http2-clients.js';
import type { ClientJob, ClientReport } from './http2-protocol.js';
import { type Row, summarise, TABLE_HEADER, tableLine } from './http2-results.js';

const TOPIC = 'com.example.bench';
const SELF = fileURLToPath(import.meta.url);

interface ServeRequest {
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly key: ProviderKey;
  readonly port: number;
  /** Simulator processes sharing the port (node:cluster); 1 = a single process. */
  readonly workers: number;
}

const mode = process.argv[2];
if (mode === 'serve' && cluster.isWorker) {
  process.once('message', (m) => void serve(m as ServeRequest));
  process.send?.('hello'); // the listener is attached: the primary may send the request now
} else if (mode === 'serve') {
  process.once('message', (m) => {
    const request = m as ServeRequest;
    if (request.workers > 1) void serveCluster(request);
    else void serve(request);
  });
} else if (mode === 'client') {
  process.once(
    'message',
    (m) => void runClient(m as ClientJob).then((r) => process.send?.(r, () => process.exit(0))),
  );
} else {
  await main();
}

/**
 * Several simulator processes behind one port (node:cluster: the primary accepts and hands connections to
 * the workers round-robin), so the server is not what limits a client that can go faster than one core of
 * simulator. The primary relays 'mark' / 'cpu' / 'stop' and sums the workers' CPU and counters.
 */
async function serveCluster(request: ServeRequest): Promise<void> {
  const workers = await Promise.all(
    Array.from({ length: request.workers }, async () => {
      const w = cluster.fork();
      await once(w, 'message'); // 'hello'
      return w;
    }),
  );
  const ask = async <T>(w: Worker, message: unknown): Promise<T> => {
    w.send(message as string);
    return ((await once(w, 'message')) as [T])[0];
  };
  const readies = await Promise.all(
    workers.map((w) => ask<{ url: string; port: number; note?: string }>(w, request)),
  );
  process.on('message', async (message) => {
    if (message === 'stop') {
      await Promise.all(
        workers.map((w) => {
          const exited = once(w, 'exit');
          w.send('stop');
          return exited;
        }),
      );
      process.exit(0);
    }
    const answers = await Promise.all(workers.map((w) => ask<Record<string, number | boolean>>(w, message)));
    if (message === 'cpu') {
      process.send?.({
        cpuMicros: answers.reduce((a, b) => a + Number(b.cpuMicros), 0),
        accepted: answers.reduce((a, b) => a + Number(b.accepted), 0),
      });
    } else process.send?.({ ok: true });
  });
  process.send?.(readies[0]);
}

/** Simulator child: listen, report the URL, answer 'mark' (start the CPU clock) and 'cpu' (CPU since mark). */
async function serve(request: ServeRequest): Promise<void> {
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  const options = {
    tls: request.tls,
    certificatePort: null,
    keys: [request.key],
    topics: [TOPIC],
    record: 'counters',
    environment: 'production',
  } as const;
  let note: string | undefined;
  try {
    sim = await startSimulator({ ...options, port: request.port });
  } catch (error) {
    note = `could not listen on 127.0.0.1:${request.port} (${(error as Error).message})`;
    sim = await startSimulator({ ...options, port: 0 });
  }
  let mark = process.cpuUsage();
  let accepted = 0;
  process.on('message', async (message) => {
    if (message === 'mark') {
      mark = process.cpuUsage();
      accepted = sim.recorder.counters.accepted;
      process.send?.({ ok: true });
    } else if (message === 'cpu') {
      const cpu = process.cpuUsage(mark);
      process.send?.({
        cpuMicros: cpu.user + cpu.system,
        accepted: sim.recorder.counters.accepted - accepted,
      });
    } else if (message === 'stop') {
      await sim.close();
      process.exit(0);
    }
  });
  process.send?.({ url: sim.url, port: sim.port, note });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '100000' },
      window: { type: 'string', default: '1000' },
      runs: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '5000' },
      clients: { type: 'string', default: 'ours,ours-1,node-apn,node-apn-multi,apns2' },
      connections: { type: 'string', default: '2' },
      'sim-workers': { type: 'string', default: '2' },
      profile: { type: 'string' },
    },
  });
  const requests = Number(values.requests);
  const window = Number(values.window);
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  const names = values.clients.split(',').map((s) => s.trim()) as ClientName[];
  for (const n of names) if (!CLIENT_NAMES.includes(n)) throw new Error(`--clients: unknown client ${n}`);

  const ca = createCertificateAuthority();
  const server = createServerCertificate(ca, { hosts: ['localhost', '127.0.0.1'] });
  const tls = { cert: server.certPem, key: server.keyPem, ca: ca.certPem };
  const key = createProviderKey();
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-bench-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);

  const sim = fork(SELF, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // Whatever happens, the simulator child goes when this process does.
  process.once('exit', () => sim.kill());
  const simWorkers = Number(values['sim-workers']);
  sim.send({ tls, key, port: 443, workers: simWorkers } satisfies ServeRequest);
  const [ready] = (await once(sim, 'message')) as [{ url: string; port: number; note?: string }];
  const ask = async <T>(message: string): Promise<T> => {
    sim.send(message);
    return ((await once(sim, 'message')) as [T])[0];
  };
  console.log(
    `simulator ${ready.url} (own process; token auth; ${requests.toLocaleString('en-US')} notifications per ` +
      `client, ${window} in flight, ${warmup} warm-up, median of ${runs} run(s); ${simWorkers} simulator ` +
      `process(es) sharing the port)`,
  );
  const active = names.filter((n) => {
    if (n === 'apns2' && ready.port !== 443) {
      console.log(
        `apns2: skipped: it only connects to port 443 and the simulator ${ready.note ?? 'is not there'}`,
      );
      return false;
    }
    return true;
  });

  const rows: Row[] = active.map((name) => ({ name, reports: [], simCpuMicros: [] }));
  for (let run = 0; run < runs; run++) {
    for (const row of rows) {
      const job: ClientJob = {
        name: row.name,
        url: ready.url,
        ca: ca.certPem,
        key,
        topic: TOPIC,
        requests,
        window,
        warmup,
        connections,
      };
      const execArgv =
        values.profile === row.name ? ['--cpu-prof', `--cpu-prof-dir=${join(process.cwd(), 'prof')}`] : [];
      const child = fork(SELF, ['client'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
      });
      child.send(job);
      const report = await new Promise<ClientReport>((resolve, reject) => {
        child.on('message', (m: unknown) => {
          // After its warm-up the client waits while the simulator's CPU clock is reset.
          if (m === 'warm') void ask('mark').then(() => child.send('go'));
          else if (typeof m === 'object' && m !== null) resolve(m as ClientReport);
        });
        child.once('exit', (code) => reject(new Error(`${row.name} exited with ${code} before reporting`)));
      });
      const exited = once(child, 'exit');
      const cpu = await ask<{ cpuMicros: number; accepted: number }>('cpu');
      await exited;
      row.reports.push(report);
      row.simCpuMicros.push(cpu.cpuMicros / Math.max(1, cpu.accepted));
      console.log(
        `  run ${run + 1} ${tableLine(row.name, [report], [cpu.cpuMicros / Math.max(1, cpu.accepted)])}`,
      );
    }
  }
  sim.send('stop');
  await once(sim, 'exit');
  rmSync(dir, { recursive: true, force: true });

  console.log('');
  console.log(TABLE_HEADER);
  for (const row of rows) console.log(tableLine(row.name, row.reports, row.simCpuMicros));
  const { json, notes } = summarise(rows, { connections, simWorkers });
  for (const note of notes) console.log(note);
  console.log(JSON.stringify(json));
}
