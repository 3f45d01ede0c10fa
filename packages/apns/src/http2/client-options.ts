import type { ProviderTokenSource } from '../auth/provider-token-source.js';
import type { ClientCertificate, ExtraCa } from '../connection-options.js';
import type { TransportListener } from '../listener.js';

/** Time from `send()` to an answer before the request fails with `TIMEOUT`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Time to establish a connection (TCP + TLS + HTTP/2 preface) before it counts as failed. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Silence on a connection before it is checked with an HTTP/2 PING (clients ping after 15-60 s of silence). */
export const DEFAULT_PING_INTERVAL_MS = 60_000;
/** Time to wait for a PING ACK before the connection is dropped. */
export const DEFAULT_PING_TIMEOUT_MS = 10_000;
/** Ceiling of the exponential reconnect backoff. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;
/** First step of the reconnect backoff. */
export const DEFAULT_RECONNECT_BASE_DELAY_MS = 100;
/** Re-sends after 403 ExpiredProviderToken, each with a fresh token on a new connection (2 writes in total). */
export const MAX_EXPIRED_TOKEN_RETRIES = 1;
/**
 * Re-sends of a request that came back unanswered: above a GOAWAY's last-stream-id, or lost with its connection.
 * REFUSED_STREAM does not count (never processed, RFC 9113 §8.7): it is re-sent until the request deadline.
 */
export const MAX_UNPROCESSED_RESENDS = 3;

/**
 * Requests in a row that time out on one session with no answer between: then the session is retired and a new
 * one opened. A peer that still answers PINGs but no request (a stuck server behind a live socket) is otherwise
 * never dropped, and every request routed to it waits out its timeout.
 */
export const MAX_UNANSWERED_IN_A_ROW = 3;

/** How the client authenticates: a provider token in every request, or a TLS client certificate. */
export type Http2ClientAuth =
  | { readonly kind: 'token'; readonly token: ProviderTokenSource }
  | ({ readonly kind: 'certificate' } & ClientCertificate);

/** Options of the HTTP/2 transport ({@link Http2Pool} adds its size to them). */
export interface Http2ClientOptions {
  /** Origin of the APNs HTTP/2 API, e.g. `https://api.push.apple.com:443` or the simulator's URL. */
  readonly url: string;
  /**
   * Extra trusted CA certificate(s), PEM (the simulator's), added to the system store.
   * @defaultValue the system CA store only
   */
  readonly ca?: ExtraCa | undefined;
  /** Provider token or client certificate. */
  readonly auth: Http2ClientAuth;
  /**
   * Milliseconds from `send()` to an answer (queueing and connecting included) before `TIMEOUT`.
   * @defaultValue {@link DEFAULT_REQUEST_TIMEOUT_MS} (30 s)
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Milliseconds to establish a connection before it counts as failed.
   * @defaultValue {@link DEFAULT_CONNECT_TIMEOUT_MS} (10 s)
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Milliseconds without a frame from the server (however much we write) before the connection is checked
   * with a PING; a request that times out checks it at once.
   * @defaultValue {@link DEFAULT_PING_INTERVAL_MS} (60 s)
   */
  readonly pingIntervalMs?: number | undefined;
  /**
   * Milliseconds to wait for the PING ACK before the connection is dropped.
   * @defaultValue {@link DEFAULT_PING_TIMEOUT_MS} (10 s)
   */
  readonly pingTimeoutMs?: number | undefined;
  /**
   * Ceiling of the reconnect backoff (exponential from 100 ms, with jitter).
   * @defaultValue {@link DEFAULT_RECONNECT_MAX_DELAY_MS} (5 s)
   */
  readonly reconnectMaxDelayMs?: number | undefined;
  /**
   * Hot-path hooks (verdicts, transport errors, connections), e.g. bound to metrics by the worker.
   * @defaultValue `NOOP_LISTENER` (no hooks)
   */
  readonly listener?: TransportListener | undefined;
}
