/**
 * HTTP/2 servers that are not Node's, for the interop suites: start a binary (nghttpd, h2o) on a free loopback
 * port with a per-run certificate, wait until it accepts TLS with ALPN h2, stop it by its pid. Plus the load the
 * suites send (APNs-shaped requests through Http2Pool) and a tally of what came back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from 'node:tls';
import { type ApnsRequest, type Http2Pool, TransportError, type TransportListener } from '@pushfleet/apns';
import { selfSignedCertificate } from '@pushfleet/credentials/testing';

/** The absolute path of an executable `name` on PATH, or undefined. */
export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A port nothing listens on right now (the binary binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A temporary directory with `key.pem` and `cert.pem` (self-signed for localhost and 127.0.0.1). */
export interface TlsDir extends Disposable {
  readonly dir: string;
  readonly keyFile: string;
  readonly certFile: string;
  /** The certificate, for the pool's `ca`. */
  readonly ca: string;
}

export function tlsDir(): TlsDir {
  const { cert, key } = selfSignedCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-interop-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return {
    dir,
    keyFile,
    certFile,
    ca: cert,
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface ExternalServer extends AsyncDisposable {
  readonly url: string;
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/**
 * Spawn `binary args` and resolve once `port` completes a TLS handshake that selects h2 (bounded: `readyMs`).
 * close() sends SIGTERM to that pid, then SIGKILL if it has not exited within 2 s.
 */
export async function startExternalServer(
  binary: string,
  args: readonly string[],
  port: number,
  readyMs = 10_000,
): Promise<ExternalServer> {
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = performance.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${binary} exited with ${child.exitCode}:\n${output}`);
    if (await speaksH2(port)) break;
    if (performance.now() > deadline) {
      await close();
      throw new Error(`${binary} did not accept TLS on ${port} within ${readyMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    output: () => output,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function speaksH2(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(socket.alpnProtocol === 'h2'));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}

// ---- load ---------------------------------------------------------------------------------------------------

/** Request `i` of a run: its own device token and apns-id, and a payload from 60 bytes to a few KiB. */
export function apnsShapedRequest(i: number): ApnsRequest {
  const padding = 'x'.repeat((i * 397) % 3_000);
  return {
    token: (i * 2_654_435_761).toString(16).padStart(64, '0').slice(-64),
    topic: 'com.example.interop',
    pushType: i % 7 === 0 ? 'background' : 'alert',
    priority: i % 7 === 0 ? 5 : 10,
    apnsId: randomUUID(),
    ...(i % 3 === 0 ? { expiration: 1_900_000_000 + i } : {}),
    ...(i % 5 === 0 ? { collapseId: `collapse-${i % 50}` } : {}),
    payload: JSON.stringify({ aps: { alert: { title: `t${i}`, body: `message ${i}` } }, pad: padding }),
  };
}

/** What a run came back with: verdict statuses, transport failure codes, and how connections ended. */
export interface Tally {
  readonly statuses: Map<number, number>;
  readonly failures: Map<string, number>;
  readonly closes: Map<string, number>;
  readonly firstFailure: unknown;
}

/** A listener that counts connection closes by reason, for `Tally.closes`. */
export function closeCounter(): { listener: TransportListener; closes: Map<string, number> } {
  const closes = new Map<string, number>();
  const bump = (reason: string) => closes.set(reason, (closes.get(reason) ?? 0) + 1);
  return { listener: { onConnectionClosed: bump, onConnectFailed: () => bump('connect-failed') }, closes };
}

/** Send `n` requests, at most `concurrency` outstanding at a time, and tally every outcome. */
export async function sendAll(
  pool: Http2Pool,
  n: number,
  concurrency: number,
  closes: Map<string, number>,
): Promise<Tally> {
  const statuses = new Map<number, number>();
  const failures = new Map<string, number>();
  let firstFailure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const request = apnsShapedRequest(next++);
      try {
        const verdict = await pool.send(request);
        statuses.set(verdict.status, (statuses.get(verdict.status) ?? 0) + 1);
      } catch (error) {
        firstFailure ??= error;
        const code = error instanceof TransportError ? error.code : 'not a TransportError';
        failures.set(code, (failures.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { statuses, failures, closes, firstFailure };
}
