import type { ConnectionOptions } from 'node:tls';
import { CredentialsError } from '@pushfleet/credentials';
import type { ProviderTokenSource } from '../auth/provider-token-source.js';
import { clientTls, durationMs, integerAtLeast } from '../connection-options.js';
import { ApnsValidationError } from '../errors.js';
import { NOOP_LISTENER, type TransportListener } from '../listener.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_TIMEOUT_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type Http2ClientOptions,
} from './client-options.js';

/** Sessions a pool opens before it has seen any load. */
export const DEFAULT_MIN_SESSIONS = 1;
/** Sessions a pool may grow to when every open one is at its stream limit. */
export const DEFAULT_MAX_SESSIONS = 4;

/** Options of {@link Http2Pool}: the transport's options (`Http2ClientOptions`) plus the pool's size. */
export interface Http2PoolOptions extends Http2ClientOptions {
  /**
   * Sessions opened at the first send and kept open.
   * @defaultValue {@link DEFAULT_MIN_SESSIONS} (1)
   */
  readonly minSessions?: number | undefined;
  /**
   * Upper bound of sessions: one more is opened when requests wait and every open session is at the server's
   * SETTINGS_MAX_CONCURRENT_STREAMS (for example after APNs dropped a session to one stream).
   * @defaultValue {@link DEFAULT_MAX_SESSIONS} (4)
   */
  readonly maxSessions?: number | undefined;
}

/** {@link Http2PoolOptions} checked, with every default applied. */
export interface PoolSettings {
  readonly host: string;
  readonly port: number;
  /** `:authority`: host[:port] as in the URL. */
  readonly authority: string;
  readonly tls: ConnectionOptions;
  /** Token auth: where bearers come from. Undefined: certificate auth. */
  readonly token: ProviderTokenSource | undefined;
  readonly listener: TransportListener;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly minSessions: number;
  readonly maxSessions: number;
}

/** @throws ApnsValidationError or CredentialsError naming the bad option. */
export function resolvePoolOptions(options: Http2PoolOptions): PoolSettings {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ApnsValidationError('url', 'is not a valid URL');
  }
  if (url.protocol !== 'https:')
    throw new ApnsValidationError('url', `must be https://, got ${url.protocol}//`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // Checked in this order, so the first bad option named is the same whatever else is wrong.
  const requestTimeoutMs = durationMs(
    'requestTimeoutMs',
    options.requestTimeoutMs,
    DEFAULT_REQUEST_TIMEOUT_MS,
  );
  const connectTimeoutMs = durationMs(
    'connectTimeoutMs',
    options.connectTimeoutMs,
    DEFAULT_CONNECT_TIMEOUT_MS,
  );
  const pingIntervalMs = durationMs('pingIntervalMs', options.pingIntervalMs, DEFAULT_PING_INTERVAL_MS);
  const pingTimeoutMs = durationMs('pingTimeoutMs', options.pingTimeoutMs, DEFAULT_PING_TIMEOUT_MS);
  const reconnectMaxDelayMs = durationMs(
    'reconnectMaxDelayMs',
    options.reconnectMaxDelayMs,
    DEFAULT_RECONNECT_MAX_DELAY_MS,
  );
  const minSessions = integerAtLeast('minSessions', options.minSessions, DEFAULT_MIN_SESSIONS, 1);
  const maxSessions = integerAtLeast('maxSessions', options.maxSessions, DEFAULT_MAX_SESSIONS, minSessions);
  const auth = options.auth;
  let token: ProviderTokenSource | undefined;
  let tls: ConnectionOptions;
  if (auth?.kind === 'token') {
    if (typeof auth.token?.bearer !== 'function' || typeof auth.token.refreshAfterRejection !== 'function') {
      throw new CredentialsError(
        'auth.token',
        'must be a ProviderTokenSource (bearer, refreshAfterRejection)',
      );
    }
    token = auth.token;
    tls = clientTls(host, options);
  } else if (auth?.kind === 'certificate') {
    tls = clientTls(host, options, auth, 'auth.');
  } else {
    throw new CredentialsError('auth.kind', "must be 'token' or 'certificate'");
  }
  return {
    host,
    port: url.port === '' ? 443 : Number(url.port),
    authority: url.host,
    tls,
    token,
    listener: options.listener ?? NOOP_LISTENER,
    requestTimeoutMs,
    connectTimeoutMs,
    pingIntervalMs,
    pingTimeoutMs,
    reconnectMaxDelayMs,
    minSessions,
    maxSessions,
  };
}
