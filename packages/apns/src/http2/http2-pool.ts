import type { ConnectionOptions } from 'node:tls';
import { CredentialsError } from '@pushfleet/credentials';
import type { ProviderTokenSource } from '../auth/provider-token-source.js';
import { clientTls, durationMs, integerAtLeast } from '../connection-options.js';
import { ApnsValidationError, TransportError } from '../errors.js';
import { NOOP_LISTENER, type TransportListener } from '../listener.js';
import type { ApnsRequest, Verdict } from '../types.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_TIMEOUT_MS,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type Http2ClientOptions,
  MAX_EXPIRED_TOKEN_RETRIES,
  MAX_UNPROCESSED_RESENDS,
} from './client-options.js';
import type { SessionCloseReason } from './close-reasons.js';
import { FrameSession, type FrameSessionOwner } from './frame-session.js';
import { createPoolRequest, type PoolRequest } from './pool-request.js';
import { verdictFromAnswer } from './verdict-from-answer.js';

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

/** A snapshot of the pool's load, for health checks and tests. */
export interface Http2PoolStats {
  /** Live sessions, including connecting and draining ones. */
  readonly sessions: number;
  /** Streams open now, over all sessions. */
  readonly inFlight: number;
  /** Requests waiting for a stream slot. */
  readonly queued: number;
  /** Requests re-sent because APNs did not answer them on the first connection (refused, GOAWAY, lost). */
  readonly resent: number;
  /** Each live session's current stream limit (the server's SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly streamLimits: readonly number[];
  /** Connections opened since start. */
  readonly connectionsOpened: number;
}

/**
 * The APNs HTTP/2 transport at fleet scale: a pool of long-lived connections to one APNs origin with one set of
 * credentials (one token source, i.e. one team and key, or one client certificate: credentials of two teams never
 * share a connection), each written frame by frame by a {@link FrameSession}.
 *
 * - Routing: a new request goes to the session with the most free stream slots; when every session is at the
 *   server's current stream limit it waits in one pool-wide FIFO (so a session whose limit APNs dropped to 1
 *   stalls nothing) and the pool grows by one session, up to `maxSessions`.
 * - Backpressure: at most `limit` streams per session are open; everything else waits in the FIFO as the caller's
 *   own pending promise. The caller (the BullMQ worker's concurrency) bounds how many there are.
 * - Connection life: GOAWAY stops new streams on that session and hands back the streams above last-stream-id;
 *   a lost connection hands back every unanswered stream; both go out again on another session, at most
 *   `MAX_UNPROCESSED_RESENDS` times, with the same apns-id (at-least-once). Reconnects back off exponentially with
 *   jitter; TLS sessions are resumed; idle connections are checked with PING.
 * - Tokens: 403 ExpiredProviderToken refreshes the token once and retries on a new connection.
 *
 * Contract: `send()` resolves with APNs' verdict (any status) and rejects with
 * {@link TransportError} only when no answer came (always safe to resend); never resolves `delivered` without a 200.
 */
export class Http2Pool implements AsyncDisposable {
  readonly #host: string;
  readonly #port: number;
  readonly #authority: string;
  readonly #token: ProviderTokenSource | undefined;
  readonly #listener: TransportListener;
  readonly #requestTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  readonly #reconnectMaxDelayMs: number;
  readonly #minSessions: number;
  readonly #maxSessions: number;
  readonly #tls: ConnectionOptions;
  readonly #owner: FrameSessionOwner;
  readonly #sessions: FrameSession[] = [];
  readonly #answered = new WeakSet<FrameSession>();
  #queue: (PoolRequest | undefined)[] = [];
  #head = 0;
  #tlsTicket: Buffer | undefined;
  #failures = 0;
  #pending = 0;
  #resent = 0;
  #opened = 0;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: Http2PoolOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ApnsValidationError('url', 'is not a valid URL');
    }
    if (url.protocol !== 'https:') {
      throw new ApnsValidationError('url', `must be https://, got ${url.protocol}//`);
    }
    this.#host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.#port = url.port === '' ? 443 : Number(url.port);
    this.#authority = url.host;
    this.#listener = options.listener ?? NOOP_LISTENER;
    this.#requestTimeoutMs = durationMs(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.#connectTimeoutMs = durationMs(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      DEFAULT_CONNECT_TIMEOUT_MS,
    );
    this.#pingIntervalMs = durationMs('pingIntervalMs', options.pingIntervalMs, DEFAULT_PING_INTERVAL_MS);
    this.#pingTimeoutMs = durationMs('pingTimeoutMs', options.pingTimeoutMs, DEFAULT_PING_TIMEOUT_MS);
    this.#reconnectMaxDelayMs = durationMs(
      'reconnectMaxDelayMs',
      options.reconnectMaxDelayMs,
      DEFAULT_RECONNECT_MAX_DELAY_MS,
    );
    this.#minSessions = integerAtLeast('minSessions', options.minSessions, DEFAULT_MIN_SESSIONS, 1);
    this.#maxSessions = integerAtLeast(
      'maxSessions',
      options.maxSessions,
      DEFAULT_MAX_SESSIONS,
      this.#minSessions,
    );
    const auth = options.auth;
    let tls: ConnectionOptions;
    if (auth?.kind === 'token') {
      if (
        typeof auth.token?.bearer !== 'function' ||
        typeof auth.token.refreshAfterRejection !== 'function'
      ) {
        throw new CredentialsError(
          'auth.token',
          'must be a ProviderTokenSource (bearer, refreshAfterRejection)',
        );
      }
      this.#token = auth.token;
      tls = clientTls(this.#host, options);
    } else if (auth?.kind === 'certificate') {
      tls = clientTls(this.#host, options, auth, 'auth.');
    } else {
      throw new CredentialsError('auth.kind', "must be 'token' or 'certificate'");
    }
    this.#tls = tls;
    this.#owner = this.#createOwner();
  }

  /**
   * Send one notification. Resolves with APNs' verdict (any status); rejects with {@link TransportError} only
   * when no answer came (always safe to resend). Never resolves `delivered` without a 200.
   */
  send(request: ApnsRequest): Promise<Verdict> {
    if (this.#closing !== undefined) {
      return Promise.reject(new TransportError('CLOSED', 'the pool is closed; send() after close()'));
    }
    this.#pending++;
    const deadline = performance.now() + this.#requestTimeoutMs;
    return new Promise<Verdict>((resolve, reject) => {
      this.#dispatch(createPoolRequest(request, resolve, reject, deadline));
    });
  }

  get stats(): Http2PoolStats {
    let inFlight = 0;
    for (const s of this.#sessions) inFlight += s.inFlight;
    return {
      sessions: this.#sessions.length,
      inFlight,
      queued: this.#queue.length - this.#head,
      resent: this.#resent,
      streamLimits: this.#sessions.map((s) => s.maxConcurrentStreams),
      connectionsOpened: this.#opened,
    };
  }

  /** Refuse new sends, wait for every accepted one to settle, then close the connections. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    if (this.#pending > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await Promise.all(this.#sessions.map((s) => s.close()));
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  // ---- routing ----------------------------------------------------------------------------------------------

  #dispatch(pending: PoolRequest): void {
    if (this.#head === this.#queue.length) {
      const session = this.#leastLoaded();
      if (session !== undefined) {
        session.write(pending);
        return;
      }
    }
    this.#queue.push(pending);
    this.#grow();
  }

  /** The accepting, connected session with the most free stream slots. */
  #leastLoaded(): FrameSession | undefined {
    let best: FrameSession | undefined;
    let bestFree = 0;
    for (const s of this.#sessions) {
      const free = s.free;
      if (free > bestFree) {
        best = s;
        bestFree = free;
      }
    }
    return best;
  }

  #pump(session: FrameSession): void {
    while (this.#head < this.#queue.length) {
      const target = session.free > 0 ? session : this.#leastLoaded();
      if (target === undefined) break;
      // A request that timed out while waiting left an empty slot (see #tick): skip it.
      const pending = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (pending !== undefined && !pending.settled) target.write(pending);
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Open sessions up to `minSessions`, and one more (up to `maxSessions`) while requests wait and none is coming. */
  #grow(): void {
    if (this.#closing !== undefined && this.#pending === 0) return;
    let accepting = 0;
    let connecting = 0;
    for (const s of this.#sessions) {
      if (!s.accepting) continue;
      accepting++;
      if (!s.connected) connecting++;
    }
    while (accepting < this.#minSessions) {
      this.#open();
      accepting++;
      connecting++;
    }
    if (connecting === 0 && accepting < this.#maxSessions && this.#head < this.#queue.length) this.#open();
  }

  #open(): void {
    const session = new FrameSession({
      host: this.#host,
      port: this.#port,
      authority: this.#authority,
      tls: this.#tlsTicket === undefined ? this.#tls : { ...this.#tls, session: this.#tlsTicket },
      owner: this.#owner,
      connectDelayMs: this.#backoffMs(),
      connectTimeoutMs: this.#connectTimeoutMs,
      pingIntervalMs: this.#pingIntervalMs,
      pingTimeoutMs: this.#pingTimeoutMs,
    });
    this.#sessions.push(session);
    this.#timer ??= setInterval(() => this.#tick(), this.#tickMs()).unref();
  }

  #tickMs(): number {
    return Math.min(
      1000,
      Math.max(
        10,
        Math.min(this.#requestTimeoutMs, this.#pingIntervalMs, this.#pingTimeoutMs, this.#connectTimeoutMs) /
          4,
      ),
    );
  }

  #tick(): void {
    const now = performance.now();
    for (let i = this.#head; i < this.#queue.length; i++) {
      const pending = this.#queue[i];
      if (pending === undefined || pending.settled || now < pending.deadline) continue;
      this.#queue[i] = undefined;
      this.#settleError(
        pending,
        new TransportError('TIMEOUT', 'no stream could be opened before the request timeout'),
      );
    }
    for (const s of [...this.#sessions]) s.tick(now);
  }

  #backoffMs(): number {
    if (this.#failures === 0) return 0;
    const exp = DEFAULT_RECONNECT_BASE_DELAY_MS * 2 ** Math.min(this.#failures - 1, 16);
    const capped = Math.min(this.#reconnectMaxDelayMs, exp);
    return Math.round(capped * (0.5 + Math.random() * 0.5));
  }

  // ---- session events ---------------------------------------------------------------------------------------

  #onAnswer(session: FrameSession, pending: PoolRequest, body: Buffer | undefined): void {
    this.#failures = 0;
    this.#answered.add(session);
    const status = pending.status;
    const apnsId = pending.apnsId ?? pending.request.apnsId ?? '';
    if (status === 200) {
      this.#settleVerdict(pending, { outcome: 'delivered', action: undefined, status, apnsId });
      return;
    }
    const headers = pending.retryAfter === undefined ? {} : { 'retry-after': pending.retryAfter };
    const verdict = verdictFromAnswer(status, headers, body, apnsId);
    if (
      verdict.reason === 'ExpiredProviderToken' &&
      this.#token !== undefined &&
      pending.jwtRetries < MAX_EXPIRED_TOKEN_RETRIES
    ) {
      // The token wedges the connection (B.9): new token, new connection, one more try.
      pending.jwtRetries++;
      if (pending.bearer !== undefined) this.#token.refreshAfterRejection(pending.bearer);
      session.retire('expired-provider-token');
      this.#dispatch(pending);
      return;
    }
    this.#settleVerdict(pending, verdict);
  }

  #onRequeue(pending: PoolRequest, written: boolean): void {
    if (pending.settled) return;
    if (written) {
      this.#resent++;
      if (++pending.resends > MAX_UNPROCESSED_RESENDS) {
        const message = `APNs did not answer the request in ${pending.resends} attempts (refused, GOAWAY or connection lost)`;
        this.#settleError(pending, new TransportError('GOAWAY', message, { cause: pending.cause }));
        return;
      }
    }
    this.#dispatch(pending);
  }

  #onClosed(
    session: FrameSession,
    reason: SessionCloseReason,
    connected: boolean,
    error: Error | undefined,
  ): void {
    const i = this.#sessions.indexOf(session);
    if (i >= 0) this.#sessions.splice(i, 1);
    const ours = reason === 'closed' || reason === 'expired-provider-token';
    if (!ours && !this.#answered.has(session)) this.#failures++;
    if (connected) {
      this.#listener.onConnectionClosed?.(reason);
    } else if (!ours) {
      this.#listener.onConnectFailed?.(error ?? new Error(`${reason} before the connection was made`));
      // Nothing will carry the waiting requests soon: fail them (retried later by the caller) unless another
      // session is up.
      if (!this.#sessions.some((s) => s.connected && s.accepting)) {
        const failure = new TransportError(
          'CONNECT_FAILED',
          `could not connect to ${this.#authority}: ${error?.message ?? reason}`,
          { cause: error },
        );
        const queued = this.#queue;
        const head = this.#head;
        this.#queue = [];
        this.#head = 0;
        for (let k = head; k < queued.length; k++) {
          const pending = queued[k];
          if (pending !== undefined) this.#settleError(pending, failure);
        }
      }
    }
    if (this.#closing === undefined || this.#pending > 0) this.#grow();
    if (this.#sessions.length === 0 && this.#closing !== undefined && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #settleVerdict(pending: PoolRequest, verdict: Verdict): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#listener.onVerdict?.(verdict, (performance.now() - pending.writtenAt) / 1000);
    pending.resolve(verdict);
    this.#settled();
  }

  #settleError(pending: PoolRequest, error: TransportError): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#listener.onTransportError?.(error.code);
    pending.reject(error);
    this.#settled();
  }

  #settled(): void {
    if (--this.#pending === 0 && this.#drained !== undefined) {
      this.#drained();
      this.#drained = undefined;
    }
  }

  #createOwner(): FrameSessionOwner {
    return {
      bearerFor: () => this.#token?.bearer(),
      onAnswer: (session, pending, body) => this.#onAnswer(session, pending, body),
      onRequeue: (pending, written) => this.#onRequeue(pending, written),
      onFailed: (pending, error) => this.#settleError(pending, error),
      onCapacity: (session) => {
        if (this.#head < this.#queue.length) this.#pump(session);
      },
      onOpened: () => {
        this.#opened++;
        this.#listener.onConnectionOpened?.();
      },
      onDraining: () => {
        if (this.#head < this.#queue.length) this.#grow();
      },
      onClosed: (session, reason, connected, error) => this.#onClosed(session, reason, connected, error),
      onTlsSession: (ticket) => {
        this.#tlsTicket = ticket;
      },
    };
  }
}
