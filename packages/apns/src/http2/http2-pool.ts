import type { ConnectionOptions } from 'node:tls';
import { ClientConnection, type ClientConnectionHandler, ErrorCode } from '@pushfleet/h2';
import { withSecureContext } from '../connection-options.js';
import { TransportError } from '../errors.js';
import { PendingSends, promiseOf, type SendReceiver } from '../pending-sends.js';
import { ReconnectBackoff } from '../reconnect-backoff.js';
import type { ApnsRequest, Verdict } from '../types.js';
import {
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  MAX_UNANSWERED_IN_A_ROW,
  MAX_UNPROCESSED_RESENDS,
} from './client-options.js';
import type { PoolRetireReason, SessionCloseReason } from './close-reasons.js';
import { retryAfterExpiredToken } from './expired-token-retry.js';
import { type Http2PoolOptions, type PoolSettings, resolvePoolOptions } from './pool-options.js';
import { createPoolRequest, type PoolRequest } from './pool-request.js';
import { ApnsRequestWriter } from './request-writer.js';
import { type PoolSession, SessionRouter } from './session-router.js';
import { verdictFromAnswer } from './verdict-from-answer.js';

/** A snapshot of the pool's load, for health checks and tests. */
export interface Http2PoolStats {
  /** Live sessions, including connecting and draining ones. */
  readonly sessions: number;
  /** Streams open now, over all sessions. */
  readonly inFlight: number;
  /** Requests waiting for a stream slot. */
  readonly queued: number;
  /** Requests re-sent because APNs did not answer them on their connection (GOAWAY, connection lost). */
  readonly resent: number;
  /** Each live session's current stream limit (the server's SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly streamLimits: readonly number[];
  /** Connections opened since start. */
  readonly connectionsOpened: number;
}

/**
 * The APNs HTTP/2 transport at fleet scale: a pool of long-lived connections to one APNs origin with one set of
 * credentials (one token source, i.e. one team and key, or one client certificate: credentials of two teams never
 * share a connection), each an HTTP/2 {@link ClientConnection} from @pushfleet/h2.
 *
 * - Routing (session-router.ts): the session with the most free stream slots, else one pool-wide FIFO; the pool
 *   grows by one session, up to `maxSessions`, while requests wait and every session is at its stream limit (a
 *   session whose server SETTINGS have not come yet has no known limit: the pool waits for them).
 * - Backpressure: at most the server's limit of streams per session; the rest wait as the caller's own pending
 *   promises. The caller (the BullMQ worker's concurrency) bounds how many there are.
 * - Connection life: GOAWAY stops new streams on that session and hands back the streams above last-stream-id;
 *   a lost connection hands back every unanswered stream; both go out again on another session, at most
 *   `MAX_UNPROCESSED_RESENDS` times, with the same apns-id (at-least-once). REFUSED_STREAM goes out again too, and
 *   does not count (never processed). Reconnects back off (reconnect-backoff.ts); TLS sessions are resumed.
 * - Tokens: 403 ExpiredProviderToken refreshes the token once and retries on a new connection
 *   (expired-token-retry.ts). The token source belongs to whoever created it: the pool never closes it.
 *
 * Contract: `send()` resolves with APNs' verdict (any status) and rejects with
 * {@link TransportError} only when no answer came (always safe to resend); never resolves `delivered` without a 200.
 */
export class Http2Pool implements AsyncDisposable {
  readonly #o: PoolSettings;
  /** The settings' TLS options with one SecureContext, reused by every connection the pool opens. */
  readonly #tls: ConnectionOptions;
  readonly #writer: ApnsRequestWriter;
  readonly #router: SessionRouter;
  readonly #pending: PendingSends;
  readonly #backoff: ReconnectBackoff;
  readonly #handler: ClientConnectionHandler<PoolRequest, PoolRetireReason>;
  /** Sessions that answered at least once: their end is not a connect failure. */
  readonly #answered = new WeakSet<PoolSession>();
  /** Requests timed out in a row on each session, with no answer between (MAX_UNANSWERED_IN_A_ROW). */
  readonly #unanswered = new WeakMap<PoolSession, number>();
  #tlsTicket: Buffer | undefined;
  #resent = 0;
  #recycledAt = 0;
  #opened = 0;
  /** A grow was asked for while a session's stream limit was unknown (no SETTINGS yet): asked again once known. */
  #growWhenSettled = false;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: Http2PoolOptions) {
    this.#o = resolvePoolOptions(options);
    this.#tls = withSecureContext(this.#o.tls);
    this.#writer = new ApnsRequestWriter(this.#o.authority);
    const token = this.#o.token;
    this.#router = new SessionRouter((session, pending) => {
      pending.session = session;
      session.request(pending, this.#writer.prepare(pending, token?.bearer(), session.encoder));
    });
    this.#pending = new PendingSends(this.#o.listener);
    this.#backoff = new ReconnectBackoff(DEFAULT_RECONNECT_BASE_DELAY_MS, this.#o.reconnectMaxDelayMs);
    this.#handler = this.#createHandler();
  }

  /**
   * Send one notification. Resolves with APNs' verdict (any status); rejects with {@link TransportError} only
   * when no answer came (always safe to resend). Never resolves `delivered` without a 200.
   */
  send(request: ApnsRequest): Promise<Verdict> {
    return promiseOf((receiver) => this.submit(request, receiver));
  }

  /** `send` without a promise: `receiver` is told the verdict or the TransportError, once (maybe at once). */
  submit(request: ApnsRequest, receiver: SendReceiver): void {
    if (this.#closing !== undefined) {
      receiver.reject(new TransportError('CLOSED', 'the pool is closed; send() after close()'));
      return;
    }
    this.#pending.accept();
    this.#dispatch(createPoolRequest(request, receiver, performance.now() + this.#o.requestTimeoutMs));
  }

  get stats(): Http2PoolStats {
    const sessions = this.#router.sessions;
    let inFlight = 0;
    for (const s of sessions) inFlight += s.inFlight;
    return {
      sessions: sessions.length,
      inFlight,
      queued: this.#router.waiting.size,
      resent: this.#resent,
      streamLimits: sessions.map((s) => s.maxConcurrentStreams),
      connectionsOpened: this.#opened,
    };
  }

  /**
   * An answer asked for a fresh connection (the reason table's `reconnect`: IdleTimeout, InternalServerError,
   * Shutdown): the open sessions take no new streams, finish what they carry and close; new ones are opened.
   * At most once a second, however many answers ask.
   */
  recycleConnections(): void {
    const now = Date.now();
    if (this.#closing !== undefined || now - this.#recycledAt < 1000) return;
    this.#recycledAt = now;
    for (const s of this.#router.sessions) s.retire('closed');
    this.#grow();
  }

  /** Requests the open sessions allow at once: the sum of the server's current stream limits. */
  capacity(): number {
    let total = 0;
    for (const s of this.#router.sessions) if (s.accepting) total += s.maxConcurrentStreams;
    return total;
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
    await this.#pending.drained();
    await Promise.all(this.#router.sessions.map((s) => s.close()));
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #dispatch(pending: PoolRequest): void {
    // Queued, or the last free slot taken: the load asks for another session (up to maxSessions).
    if (!this.#router.dispatch(pending) || this.#router.full) this.#grow();
  }

  /** Open the sessions the router asks for, unless the pool is closed and idle. */
  #grow(): void {
    if (this.#closing !== undefined && this.#pending.count === 0) return;
    const n = this.#router.sessionsToOpen(this.#o.minSessions, this.#o.maxSessions);
    if (n === 0 && this.#router.awaitingSettings) this.#growWhenSettled = true;
    for (let i = 0; i < n; i++) this.#open();
  }

  #open(): void {
    const o = this.#o;
    const session: PoolSession = new ClientConnection({
      host: o.host,
      port: o.port,
      tls: this.#tlsTicket === undefined ? this.#tls : { ...this.#tls, session: this.#tlsTicket },
      handler: this.#handler,
      connectDelayMs: this.#backoff.delayMs(),
      connectTimeoutMs: o.connectTimeoutMs,
      pingIntervalMs: o.pingIntervalMs,
      pingTimeoutMs: o.pingTimeoutMs,
    });
    this.#router.sessions.push(session);
    this.#timer ??= setInterval(() => this.#tick(), this.#tickMs()).unref();
  }

  /** A quarter of the shortest timeout, within 10 ms..1 s: deadlines are met to within that. */
  #tickMs(): number {
    const o = this.#o;
    const shortest = Math.min(o.requestTimeoutMs, o.pingIntervalMs, o.pingTimeoutMs, o.connectTimeoutMs);
    return Math.min(1000, Math.max(10, shortest / 4));
  }

  #tick(): void {
    const now = performance.now();
    this.#router.waiting.expire(now, (pending) =>
      this.#pending.reject(
        pending,
        new TransportError('TIMEOUT', 'no stream could be opened before the request timeout'),
      ),
    );
    for (const s of [...this.#router.sessions]) s.tick(now);
  }

  // ---- session events ---------------------------------------------------------------------------------------

  #onResponse(session: PoolSession, pending: PoolRequest, body: Buffer | undefined): void {
    this.#backoff.succeeded();
    this.#answered.add(session);
    this.#unanswered.delete(session);
    const status = pending.status;
    const apnsId = pending.apnsId ?? pending.request.apnsId ?? '';
    if (status === 200) {
      const delivered: Verdict =
        pending.uniqueId === undefined
          ? { outcome: 'delivered', action: undefined, status, apnsId }
          : { outcome: 'delivered', action: undefined, status, apnsId, uniqueId: pending.uniqueId };
      this.#pending.resolve(pending, delivered, pending.writtenAt);
      return;
    }
    const headers = pending.retryAfter === undefined ? {} : { 'retry-after': pending.retryAfter };
    const verdict = verdictFromAnswer(status, headers, body, apnsId);
    if (retryAfterExpiredToken(pending, verdict, this.#o.token)) {
      session.retire('expired-provider-token');
      this.#dispatch(pending);
      return;
    }
    this.#pending.resolve(pending, verdict, pending.writtenAt);
  }

  /**
   * Not answered: send it again elsewhere. `counts`: it may have been processed (towards the resend limit);
   * `tally`: shown in `stats.resent` (every re-send of a stream that went out, counted or not).
   */
  #resend(pending: PoolRequest, counts: boolean, tally = counts): void {
    if (pending.settled) return;
    if (tally) this.#resent++;
    if (counts) {
      if (++pending.resends > MAX_UNPROCESSED_RESENDS) {
        const message = `APNs did not answer the request in ${pending.resends} attempts (GOAWAY or connection lost)`;
        this.#pending.reject(pending, new TransportError('GOAWAY', message, { cause: pending.cause }));
        return;
      }
    }
    this.#dispatch(pending);
  }

  #onClosed(
    session: PoolSession,
    reason: SessionCloseReason,
    connected: boolean,
    error: Error | undefined,
  ): void {
    this.#router.remove(session);
    const ours = reason === 'closed' || reason === 'expired-provider-token';
    if (!ours && !this.#answered.has(session)) this.#backoff.failed();
    if (connected) {
      this.#o.listener.onConnectionClosed?.(reason);
    } else if (!ours) {
      this.#o.listener.onConnectFailed?.(error ?? new Error(`${reason} before the connection was made`));
      // Nothing will carry the waiting requests soon: fail them (retried later by the caller) unless another
      // session is up.
      if (!this.#router.anyReady) {
        const failure = new TransportError(
          'CONNECT_FAILED',
          `could not connect to ${this.#o.authority}: ${error?.message ?? reason}`,
          { cause: error },
        );
        for (const pending of this.#router.waiting.takeAll()) this.#pending.reject(pending, failure);
      }
    }
    if (this.#closing === undefined || this.#pending.count > 0) this.#grow();
    if (this.#router.sessions.length === 0 && this.#closing !== undefined && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #createHandler(): ClientConnectionHandler<PoolRequest, PoolRetireReason> {
    return {
      onResponseHeader: (pending, name, value) => {
        if (name === 'apns-id') pending.apnsId = value;
        else if (name === 'retry-after') pending.retryAfter = value;
        else if (name === 'apns-unique-id') pending.uniqueId = value;
      },
      onResponse: (session, pending, body) => this.#onResponse(session, pending, body),
      onReset: (pending, code, streamId) => {
        // REFUSED_STREAM: never processed (RFC 9113 §8.7), e.g. sent before a lowered stream limit reached us:
        // safe to send again as often as it takes (the request deadline bounds it), so it does not count.
        if (code === ErrorCode.REFUSED_STREAM) this.#resend(pending, false);
        else {
          const message = `stream ${streamId} got no answer: RST_STREAM code ${code}`;
          this.#pending.reject(pending, new TransportError('STREAM_RESET', message));
        }
      },
      // Above a GOAWAY's last-stream-id: never processed (RFC 9113 §6.8), like REFUSED_STREAM: re-sent until
      // the request deadline, not counted toward MAX_UNPROCESSED_RESENDS.
      onNotProcessed: (pending) => this.#resend(pending, false, true),
      onLost: (pending, error) => {
        // At or below a GOAWAY's last-stream-id, or no GOAWAY: unknown; at-least-once delivery sends it again
        // (same apns-id), bounded by the resend limit.
        pending.cause ??= error;
        this.#o.listener.onResend?.('connection-lost');
        this.#resend(pending, true);
      },
      onTimeout: (pending) => {
        this.#pending.reject(pending, new TransportError('TIMEOUT', 'no answer before the request timeout'));
        const session = pending.session as PoolSession | undefined;
        if (session === undefined || !session.accepting) return;
        const inARow = (this.#unanswered.get(session) ?? 0) + 1;
        this.#unanswered.set(session, inARow);
        if (inARow < MAX_UNANSWERED_IN_A_ROW) return;
        session.retire('unanswered');
        this.#grow();
      },
      onCapacity: (session) => {
        if (this.#router.waiting.size > 0) this.#router.pump(session);
        // The load asked for more while this session's limit was unknown: now it is known, ask again.
        if (this.#growWhenSettled && session.settingsReceived) {
          this.#growWhenSettled = false;
          this.#grow();
        }
      },
      onOpened: () => {
        this.#opened++;
        this.#o.listener.onConnectionOpened?.();
      },
      onDraining: () => {
        if (this.#router.waiting.size > 0) this.#grow();
      },
      onClosed: (session, reason, connected, error) => this.#onClosed(session, reason, connected, error),
      onTlsSession: (ticket) => {
        this.#tlsTicket = ticket;
      },
    };
  }
}
