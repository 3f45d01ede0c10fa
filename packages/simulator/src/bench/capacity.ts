/**
 * Capacity benchmark: how many notifications per second one simulator process answers.
 *
 *   node packages/simulator/dist/bench/capacity.js [--requests 100000] [--concurrency 1000] [--connections 2]
 *
 * The server runs in a child process (its own core); this process drives it with a bare node:http2 client
 * keeping `concurrency` streams in flight over `connections` token-auth connections. The same client then
 * drives a plain node:http2 server over the same TLS that reads the body and answers 200 with no validation:
 * the baseline for this machine and this client. The client sends its own apns-id (both servers echo it)
 * and the simulator runs as production (no sandbox-only apns-unique-id), so both answers carry the same headers. Output: one line per server, then, as the last line, one
 * JSON object {"sim_per_s","baseline_per_s","ratio"}. Each server line also gives the server's own CPU time
 * per request (and so its capacity per busy core), which holds even when the client is the bottleneck.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type ClientHttp2Session, connect, createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCertificateAuthority } from '../certs/certificate-authority.js';
import { createProviderKey, type ProviderKey } from '../certs/provider-key.js';
import { createServerCertificate } from '../certs/server-certificate.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { startSimulator } from '../server/start-simulator.js';

type ServerKind = 'simulator' | 'baseline';

interface ServeRequest {
  readonly kind: ServerKind;
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly key: ProviderKey;
}

const TOPIC = 'com.example.bench';
const PAYLOAD = Buffer.from(
  JSON.stringify({ aps: { alert: { title: 'bench', body: 'capacity run' }, badge: 1 } }),
);

if (process.argv[2] === 'serve') {
  process.once('message', (message) => void serve(message as ServeRequest));
} else {
  await main();
}

/** Child process: run one server, report its URL, stop on 'stop'. */
async function serve(request: ServeRequest): Promise<void> {
  if (request.kind === 'simulator') {
    const sim = await startSimulator({
      tls: request.tls,
      certificatePort: null,
      keys: [request.key],
      topics: [TOPIC],
      record: 'counters',
      // Production, as Apple's production answers: no apns-unique-id (a sandbox-only header).
      environment: 'production',
    });
    control(
      () => sim.recorder.counters.accepted,
      () => sim.close(),
    );
    process.send?.({ url: sim.url });
    return;
  }
  const server = createSecureServer({
    cert: request.tls.cert,
    key: request.tls.key,
    settings: { maxConcurrentStreams: 1000 },
    maxSessionMemory: 64,
  });
  let answered = 0;
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.on('data', () => {});
    stream.on('end', () => {
      answered++;
      stream.respond({ ':status': 200, 'apns-id': headers['apns-id'] }, { endStream: true });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  control(
    () => answered,
    async () => {},
  );
  process.send?.({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** Child side of the control channel: 'mark' starts the CPU clock, 'stop' reports and exits. */
function control(answered: () => number, close: () => Promise<void>): void {
  let mark = process.cpuUsage();
  process.on('message', async (message) => {
    if (message === 'mark') {
      mark = process.cpuUsage();
      process.send?.('marked');
      return;
    }
    const cpu = process.cpuUsage(mark);
    process.send?.({ answered: answered(), cpuMicros: cpu.user + cpu.system });
    await close();
    process.exit(0);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '100000' },
      concurrency: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '2' },
    },
  });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const connections = Number(values.connections);
  const ca = createCertificateAuthority();
  const server = createServerCertificate(ca);
  const tls = { cert: server.certPem, key: server.keyPem, ca: ca.certPem };
  const key = createProviderKey();
  const results: Record<ServerKind, number> = { simulator: 0, baseline: 0 };
  for (const kind of ['simulator', 'baseline'] as const) {
    const child = fork(fileURLToPath(import.meta.url), ['serve'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.send({ kind, tls, key } satisfies ServeRequest);
    const [{ url }] = (await once(child, 'message')) as [{ url: string }];
    const mark = async () => {
      child.send('mark');
      await once(child, 'message');
    };
    const run = await drive(url, tls.ca, key, { requests, concurrency, connections }, mark);
    child.send('stop');
    const [{ answered, cpuMicros }] = (await once(child, 'message')) as [
      { answered: number; cpuMicros: number },
    ];
    await once(child, 'exit');
    results[kind] = run.perSecond;
    const perCore = requests / (cpuMicros / 1e6);
    console.log(
      `${kind.padEnd(9)} ${fmt(run.perSecond)} requests/s  (${fmt(run.ok)} of ${fmt(requests)} answered 200, ` +
        `${fmt(answered)} incl. warm-up; server CPU ${(cpuMicros / requests).toFixed(1)} µs/request = ` +
        `${fmt(perCore)} requests/s per busy core; ${concurrency} in flight on ${connections} connections, ` +
        `${run.seconds.toFixed(2)} s)`,
    );
  }
  const ratio = results.simulator / results.baseline;
  console.log(
    JSON.stringify({
      sim_per_s: Math.round(results.simulator),
      baseline_per_s: Math.round(results.baseline),
      ratio: Math.round(ratio * 1000) / 1000,
    }),
  );
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

interface DriveOptions {
  readonly requests: number;
  readonly concurrency: number;
  readonly connections: number;
}

/** Keep `concurrency` streams in flight until `requests` have been answered; warm up first. */
async function drive(
  url: string,
  ca: string,
  key: ProviderKey,
  options: DriveOptions,
  mark: () => Promise<void>,
) {
  const fixed = {
    ':method': 'POST',
    ':path': `/3/device/${'ab'.repeat(32)}`,
    authorization: `bearer ${signProviderToken(key)}`,
    'apns-topic': TOPIC,
    'apns-push-type': 'alert',
    'apns-priority': '10',
    'apns-expiration': '0',
  };
  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < options.connections; i++) {
    const session = connect(url, { ca });
    session.on('error', () => {});
    await once(session, 'remoteSettings');
    sessions.push(session);
  }
  const burst = (total: number) =>
    new Promise<number>((resolve, reject) => {
      let started = 0;
      let done = 0;
      let ok = 0;
      const next = () => {
        const session = sessions[started % sessions.length]!;
        started++;
        // Like a provider that traces every push: its own apns-id, echoed by both servers.
        const stream = session.request({ ...fixed, 'apns-id': randomUUID() });
        stream.on('response', (h) => {
          if (h[':status'] === 200) ok++;
        });
        stream.on('error', reject);
        stream.on('close', () => {
          if (++done === total) resolve(ok);
          else if (started < total) next();
        });
        stream.resume();
        stream.end(PAYLOAD);
      };
      for (const _ of sessions) next(); // one each first: token connections allow one stream until a valid JWT
      setTimeout(() => {
        while (started < Math.min(total, options.concurrency)) next();
      }, 50);
    });
  await burst(Math.min(5000, options.requests));
  await mark();
  const t0 = process.hrtime.bigint();
  const ok = await burst(options.requests);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(sessions.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return { ok, seconds, perSecond: options.requests / seconds };
}
