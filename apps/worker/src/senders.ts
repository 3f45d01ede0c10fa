/**
 * One sender per app, by transport: the HTTP/2 session pool (token or certificate auth) or the legacy binary
 * client (certificate auth). Both tell `submit(request, receiver)` a Verdict, so everything after the send
 * (job record, retries, registry, metrics) is shared.
 */
import { Http2Pool, type TransportListener } from '@pushfleet/apns';
import { LegacyClient } from '@pushfleet/apns-legacy';
import type { ResolvedApp } from '@pushfleet/config';
import { loadSigningKey } from '@pushfleet/credentials';
import type { FleetMetrics } from '@pushfleet/metrics';
import { type RedisClient, startSharedProviderToken } from '@pushfleet/queue';
import { transportMetricsListener } from './instrumentation.js';
import type { PushSender } from './push-processor.js';

export interface Sender extends PushSender {
  close(): Promise<void>;
  /** Seconds since the provider token in use was issued (token auth only). */
  tokenAgeSeconds?(): number;
  /** Open the connection before the first send (legacy: its capacity is 0 until then); rejects if it cannot. */
  connect?(): Promise<void>;
  /** Requests the transport allows in flight now (HTTP/2: open sessions × the server's stream limit; legacy: the resend ring); 0 while nothing is connected. */
  capacity?(): number;
}

/** `tls://host:port` -> host and port. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port) };
}

export interface SenderOptions {
  /** HTTP/2 sessions per app: opened at start, and the most the pool grows to under load. */
  minSessions?: number;
  maxSessions?: number;
  /** Give up on an unanswered HTTP/2 request after this long (it is then retried by the policy). */
  requestTimeoutMs?: number;
  /**
   * A connection opened, so `capacity()` may have grown (from 0 before the first connection or after a
   * legacy error response): who sizes sends and jobs by it reads it again now, not at the next answer.
   */
  onConnectionOpened?: () => void;
}

/** The metrics listener, also telling `opened` of each connection opened. */
function withOpenedHook(listener: TransportListener, opened: (() => void) | undefined): TransportListener {
  if (!opened) return listener;
  return {
    ...listener,
    onConnectionOpened() {
      listener.onConnectionOpened?.();
      opened();
    },
  };
}

export async function createSender(
  app: ResolvedApp,
  metrics: FleetMetrics,
  redis: RedisClient,
  options: SenderOptions = {},
): Promise<Sender> {
  const sessions = {
    ...(options.minSessions !== undefined ? { minSessions: options.minSessions } : {}),
    ...(options.maxSessions !== undefined ? { maxSessions: options.maxSessions } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  };
  const listener = withOpenedHook(
    transportMetricsListener(metrics, app.name, app.transport),
    options.onConnectionOpened,
  );
  const ca = app.ca ? { ca: app.ca } : {};
  if (app.auth.kind === 'certificate') {
    const notAfter = Math.floor(app.auth.certificate.notAfter.getTime() / 1000);
    metrics.certificateExpiry.set({ app: app.name }, notAfter);
    if (app.transport === 'legacy') {
      return new LegacyClient({
        ...hostPort(app.url),
        ...ca,
        cert: app.auth.certPem,
        key: app.auth.keyPem,
        listener,
      });
    }
    const auth = { kind: 'certificate' as const, cert: app.auth.certPem, key: app.auth.keyPem };
    return new Http2Pool({ url: app.url, ...ca, auth, listener, ...sessions });
  }
  // One JWT per (team, key) for the whole fleet, minted under a Redis lease: no TooManyProviderTokenUpdates.
  const key = loadSigningKey(app.auth.keyPem, `${app.name} key`);
  const token = await startSharedProviderToken({
    redis,
    key,
    keyId: app.auth.keyId,
    teamId: app.auth.teamId,
    onRefresh: (result) => metrics.providerTokenRefreshes.inc({ app: app.name, result }),
  });
  const pool = new Http2Pool({ url: app.url, ...ca, auth: { kind: 'token', token }, listener, ...sessions });
  return {
    submit: (request, receiver) => pool.submit(request, receiver),
    recycleConnections: () => pool.recycleConnections(),
    capacity: () => pool.capacity(),
    tokenAgeSeconds: () => (token.current ? (Date.now() - token.current.issuedAt) / 1000 : 0),
    // The pool never closes its token source; we made the token, so we stop it, after the pool drained.
    async close() {
      await pool.close();
      await token.close();
    },
  };
}
