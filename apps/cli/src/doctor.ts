/**
 * `pushfleet doctor`: check every configured app end to end, one line per app, non-zero exit on failure.
 *
 *   1. credentials load and pass the load-time checks (pass phrase, key match, validity, environment, topics)
 *   2. expiry: a warning under 30 days
 *   3. the endpoint: TLS handshake and, for HTTP/2, the SETTINGS exchange
 *   4. HTTP/2: one real request to a known-bad device token. Apple answers 400 BadDeviceToken once it has
 *      accepted the credentials, and a 403 reason when it has not; the simulator accepts it (200).
 */
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTls } from 'node:tls';
import { Http2Pool, ProviderToken, TransportError } from '@pushfleet/apns';
import { type AppConfig, type ResolvedApp, resolveApp, type SimulatorEndpoint } from '@pushfleet/config';
import { type CertificateInfo, CredentialsError, loadSigningKey } from '@pushfleet/credentials';

export const EXPIRY_WARNING_DAYS = 30;
/** 32 zero bytes: never a real device, so Apple answers BadDeviceToken after checking the credentials. */
export const PROBE_TOKEN = '00'.repeat(32);

export type DoctorStatus = 'ok' | 'warn' | 'fail';

export interface DoctorLine {
  readonly app: string;
  readonly status: DoctorStatus;
  readonly text: string;
}

export interface DoctorOptions {
  /** @defaultValue process.env */
  env?: Record<string, string | undefined>;
  simulator?: SimulatorEndpoint;
  timeoutMs?: number;
  now?: Date;
}

function describeAuth(app: ResolvedApp): string {
  if (app.auth.kind === 'token') return `token ${app.auth.keyId}/${app.auth.teamId}`;
  return `certificate ${app.auth.certificate.bundleId ?? '?'}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** TLS handshake (+ SETTINGS for HTTP/2). Resolves a short description of what the server said. */
async function handshake(app: ResolvedApp, timeoutMs: number): Promise<string> {
  const url = new URL(app.url);
  const tlsOptions = {
    ...(app.ca ? { ca: app.ca } : {}),
    ...(app.auth.kind === 'certificate' ? { cert: app.auth.certPem, key: app.auth.keyPem } : {}),
  };
  if (app.transport === 'legacy') {
    const socket = connectTls({
      host: url.hostname,
      port: Number(url.port),
      servername: url.hostname,
      ...tlsOptions,
    });
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', () => resolve());
          socket.once('error', reject);
        }),
        timeoutMs,
        'TLS handshake',
      );
      return `TLS ${socket.getProtocol() ?? ''} ok`;
    } finally {
      socket.destroy();
    }
  }
  const session = connectHttp2(app.url, tlsOptions);
  try {
    const settings = await withTimeout(
      new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
        session.once('remoteSettings', (s) => resolve(s));
        session.once('error', reject);
      }),
      timeoutMs,
      'HTTP/2 settings exchange',
    );
    return `TLS+h2 ok (max streams ${settings.maxConcurrentStreams ?? '?'})`;
  } finally {
    session.destroy();
  }
}

async function probe(app: ResolvedApp, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  const auth =
    app.auth.kind === 'token'
      ? {
          kind: 'token' as const,
          token: new ProviderToken({
            key: loadSigningKey(app.auth.keyPem, app.name),
            keyId: app.auth.keyId,
            teamId: app.auth.teamId,
          }),
        }
      : { kind: 'certificate' as const, cert: app.auth.certPem, key: app.auth.keyPem };
  const client = new Http2Pool({
    url: app.url,
    ...(app.ca ? { ca: app.ca } : {}),
    auth,
    requestTimeoutMs: timeoutMs,
  });
  try {
    const verdict = await client.send({
      token: PROBE_TOKEN,
      topic: app.topics[0] ?? (app.auth.kind === 'certificate' ? (app.auth.certificate.bundleId ?? '') : ''),
      pushType: 'alert',
      priority: 10,
      expiration: 0,
      payload: '{"aps":{"alert":"pushfleet doctor"}}',
    });
    if (verdict.outcome === 'delivered') return { ok: true, text: 'test push accepted' };
    if (verdict.reason === 'BadDeviceToken')
      return { ok: true, text: 'credentials accepted (BadDeviceToken for the probe token)' };
    return {
      ok: verdict.outcome !== 'creds-broken',
      text: `test push answered ${verdict.status} ${verdict.reason ?? ''}`.trim(),
    };
  } finally {
    await client.close();
  }
}

function expiryNote(cert: CertificateInfo): { status: DoctorStatus; text: string } {
  if (cert.daysLeft < EXPIRY_WARNING_DAYS) {
    return {
      status: 'warn',
      text: `certificate expires in ${cert.daysLeft} days (${cert.notAfter.toISOString().slice(0, 10)})`,
    };
  }
  return { status: 'ok', text: `certificate valid for ${cert.daysLeft} days` };
}

export async function checkApp(config: AppConfig, options: DoctorOptions = {}): Promise<DoctorLine> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let app: ResolvedApp;
  try {
    app = resolveApp(config, {
      env: options.env ?? process.env,
      simulator: options.simulator,
      now: options.now,
    });
  } catch (err) {
    const message =
      err instanceof CredentialsError
        ? err.message.replace(new RegExp(`^${config.name}: `), '')
        : (err as Error).message;
    return { app: config.name, status: 'fail', text: `credentials: ${message}` };
  }
  const parts = [describeAuth(app), app.url];
  let status: DoctorStatus = 'ok';
  if (app.auth.kind === 'certificate') {
    const note = expiryNote(app.auth.certificate);
    if (note.status === 'warn') status = 'warn';
    parts.push(note.text);
  }
  try {
    parts.push(await handshake(app, timeoutMs));
  } catch (err) {
    return {
      app: app.name,
      status: 'fail',
      text: `${parts.join(', ')}: cannot connect: ${(err as Error).message}`,
    };
  }
  if (app.transport === 'http2') {
    try {
      const result = await probe(app, timeoutMs);
      parts.push(result.text);
      if (!result.ok) status = 'fail';
    } catch (err) {
      const code = err instanceof TransportError ? ` (${err.code})` : '';
      return {
        app: app.name,
        status: 'fail',
        text: `${parts.join(', ')}: test push got no answer${code}: ${(err as Error).message}`,
      };
    }
  }
  return { app: app.name, status, text: parts.join(', ') };
}

const MARK: Record<DoctorStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** Run every check, print one line per app; resolves the exit code (1 if any app failed). */
export async function runDoctor(
  apps: readonly AppConfig[],
  options: DoctorOptions = {},
  out: { write(s: string): unknown } = process.stdout,
): Promise<number> {
  const lines = await Promise.all(apps.map((a) => checkApp(a, options)));
  for (const l of lines) out.write(`${MARK[l.status]} ${l.app}: ${l.text}\n`);
  return lines.some((l) => l.status === 'fail') ? 1 : 0;
}
