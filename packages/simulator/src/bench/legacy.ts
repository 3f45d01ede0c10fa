/**
 * Legacy binary throughput: notifications per second from `LegacyClient` into the simulator's legacy
 * gateway over mutual TLS, against a same-run baseline of the same frame bytes written by a plain TLS socket.
 *
 *   node packages/simulator/dist/bench/legacy.js [--notifications 100000] [--per-turn 1000] [--runs 3]
 *
 * The client is built as the fleet builds it (apps/worker/src/senders.ts): the default resend ring (100,000
 * notifications) and delivery window (500 ms), which bound one connection to 200,000/s; the baseline has no such
 * bound, and the ratio shows what the ring costs. Runs alternate client and baseline; figures are medians.
 * The gateway runs in a child process (its own core), recording counters only. Each run sends
 * `notifications` distinct tokens with ~200-byte payloads, `per-turn` sends per event-loop turn (as a worker
 * with many jobs in flight would), and is timed from the first send until the gateway has read the last
 * notification (it reports that itself). The baseline pre-encodes the same frames (not timed) and writes them
 * in the same chunks on one TLS socket: the ratio is what the client costs over bare TLS + the gateway.
 * `all verdicts` also reports when the last send() resolved: one delivery window later, by design.
 * Output: one line per run, then, as the last line, {"legacy_per_s","raw_tls_per_s","ratio",...} (medians).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ApnsRequest } from '@pushfleet/apns';
import {
  DEFAULT_DELIVERY_WINDOW_MS,
  DEFAULT_LEGACY_RESEND_BUFFER_SIZE,
  FrameEncoder,
  LegacyClient,
} from '@pushfleet/apns-legacy';
import { createApnsClientCertificate } from '../certs/apns-client-certificate.js';
import { createCertificateAuthority } from '../certs/certificate-authority.js';
import { createServerCertificate } from '../certs/server-certificate.js';
import { startLegacyGateway } from '../legacy/start-legacy-gateway.js';

interface ServeRequest {
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
}

type Control = { readonly waitFor: number } | 'reset' | 'stop';

if (process.argv[2] === 'serve') {
  process.once('message', (message) => void serve(message as ServeRequest));
} else {
  await main();
}

/** Child process: the gateway; answers `{waitFor}` when that many notifications were read. */
async function serve(request: ServeRequest): Promise<void> {
  const gateway = await startLegacyGateway({ tls: request.tls, record: 'counters' });
  let mark = process.cpuUsage();
  process.on('message', async (message: Control) => {
    if (message === 'reset') {
      gateway.recorder.clear();
      mark = process.cpuUsage();
      process.send?.('ok');
    } else if (message === 'stop') {
      await gateway.close();
      process.exit(0);
    } else {
      await gateway.recorder.waitFor(message.waitFor, { timeoutMs: 120_000 });
      const cpu = process.cpuUsage(mark);
      process.send?.({ cpuMicros: cpu.user + cpu.system });
    }
  });
  process.send?.({ port: gateway.port });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      notifications: { type: 'string', default: '100000' },
      'per-turn': { type: 'string', default: '1000' },
      runs: { type: 'string', default: '3' },
    },
  });
  const n = Number(values.notifications);
  const perTurn = Number(values['per-turn']);
  const runs = Number(values.runs);
  const ca = createCertificateAuthority();
  const server = createServerCertificate(ca);
  const client = createApnsClientCertificate(ca, { bundleId: 'com.example.bench', teamId: 'BENCHTEAM1' });
  const tls = { cert: server.certPem, key: server.keyPem, ca: ca.certPem };
  const child = fork(fileURLToPath(import.meta.url), ['serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ tls } satisfies ServeRequest);
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const ask = async <T>(message: Control): Promise<T> => {
    child.send(message);
    const [reply] = (await once(child, 'message')) as [T];
    return reply;
  };
  const target = { host: '127.0.0.1', port, ca: ca.certPem, cert: client.certPem, key: client.keyPem };
  const ceiling = (DEFAULT_LEGACY_RESEND_BUFFER_SIZE / DEFAULT_DELIVERY_WINDOW_MS) * 1000;
  console.log(
    `legacy: ${fmt(n)} notifications per run, ${perTurn} per event-loop turn, ${runs} run(s) interleaved; ` +
      `LegacyClient with the fleet's defaults (resend ring ${fmt(DEFAULT_LEGACY_RESEND_BUFFER_SIZE)}, ` +
      `delivery window ${DEFAULT_DELIVERY_WINDOW_MS} ms: at most ${fmt(ceiling)}/s per connection)`,
  );

  const legacyRuns: number[] = [];
  const rawRuns: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const legacy = await runLegacy(target, n, perTurn, ask);
    const raw = await runRawTls(target, n, perTurn, ask);
    legacyRuns.push(legacy.perSecond);
    rawRuns.push(raw.perSecond);
    console.log(
      `  run ${run}: legacy ${fmt(legacy.perSecond)}/s (all verdicts after ${legacy.allSeconds.toFixed(3)} s; ` +
        `gateway CPU ${legacy.gatewayMicros.toFixed(2)} µs/notification), raw tls ${fmt(raw.perSecond)}/s ` +
        `(gateway CPU ${raw.gatewayMicros.toFixed(2)} µs/notification), ratio ${(legacy.perSecond / raw.perSecond).toFixed(3)}`,
    );
  }
  child.send('stop');
  await once(child, 'exit');

  const ratios = legacyRuns.map((l, i) => l / rawRuns[i]!);
  console.log(`legacy   ${fmt(median(legacyRuns))} notifications/s (median of ${runs})`);
  console.log(`raw tls  ${fmt(median(rawRuns))} notifications/s (median of ${runs})`);
  console.log(
    JSON.stringify({
      legacy_per_s: Math.round(median(legacyRuns)),
      raw_tls_per_s: Math.round(median(rawRuns)),
      ratio: Math.round(median(ratios) * 1000) / 1000,
      runs,
      resend_buffer_size: DEFAULT_LEGACY_RESEND_BUFFER_SIZE,
      delivery_window_ms: DEFAULT_DELIVERY_WINDOW_MS,
      ring_ceiling_per_s: ceiling,
    }),
  );
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}
type Ask = <T>(message: Control) => Promise<T>;

/** One timed run of LegacyClient as the fleet builds it (apps/worker/src/senders.ts: its defaults). */
async function runLegacy(target: Target, n: number, perTurn: number, ask: Ask) {
  const requests = makeRequests(n);
  const legacy = new LegacyClient(target);
  // Warm-up (connection, JIT), then the timed run.
  await Promise.all(makeRequests(5_000, 'ee').map((r) => legacy.send(r)));
  await ask('reset');
  const started = performance.now();
  const arrived = ask<{ cpuMicros: number }>({ waitFor: n });
  const verdicts: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += perTurn) {
    for (let j = i; j < Math.min(n, i + perTurn); j++) verdicts.push(legacy.send(requests[j]!));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { cpuMicros } = await arrived;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(verdicts);
  const allSeconds = (performance.now() - started) / 1000;
  await legacy.close();
  return { perSecond: n / seconds, allSeconds, gatewayMicros: cpuMicros / n };
}

/** The baseline: the same frames, pre-encoded (untimed), written in the same chunks on a plain TLS socket. */
async function runRawTls(target: Target, n: number, perTurn: number, ask: Ask) {
  const requests = makeRequests(n);
  const encoder = new FrameEncoder({ initialCapacity: 1 << 20 });
  const chunks: Buffer[] = [];
  for (let i = 0; i < n; i += perTurn) {
    for (let j = i; j < Math.min(n, i + perTurn); j++) {
      encoder.write(requests[j]!.token, Buffer.from(requests[j]!.payload as string));
    }
    chunks.push(encoder.detach());
  }
  const socket = connect(target);
  await once(socket, 'secureConnect');
  await ask('reset');
  const started = performance.now();
  const arrived = ask<{ cpuMicros: number }>({ waitFor: n });
  for (const chunk of chunks) {
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  const { cpuMicros } = await arrived;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return { perSecond: n / seconds, gatewayMicros: cpuMicros / n };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `count` requests with distinct tokens and ~200-byte payloads. */
function makeRequests(count: number, salt = 'b7'): ApnsRequest[] {
  const pad = 'x'.repeat(120);
  return Array.from({ length: count }, (_, i) => ({
    token: `${i.toString(16).padStart(8, '0')}${salt.repeat(28)}`,
    topic: 'com.example.bench',
    pushType: 'alert' as const,
    payload: JSON.stringify({ aps: { alert: { title: 'bench', body: `notification ${i}` } }, pad }),
  }));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
