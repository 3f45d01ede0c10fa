/**
 * The legacy binary provider (Apple's retired Binary Provider API): the same contract as the HTTP/2 client,
 * `send(request) → Verdict`, over one long-lived TLS connection with a client certificate.
 *
 *   send() ─▶ queue ─(setImmediate: every send of one event-loop turn)─▶ ONE socket write of command-2
 *   frames, identifiers from a per-connection 32-bit counter, each frame kept in the resend buffer.
 *
 *   gateway says                 the named one            written before it     written after it
 *   nothing for deliveryWindowMs  -                        delivered             -
 *   08 ss id (ss != 10)          Verdict from the table   delivered             re-sent, new connection
 *   08 0a id (shutdown)          delivered                delivered             re-sent, new connection
 *   closes with no packet        -                        re-sent (at-least-once; fails after 3 re-sends)
 *
 * A Verdict means the gateway answered (or stayed silent for the whole window, which is how this protocol
 * says yes); a {@link TransportError} means the fate is unknown: CONNECT_FAILED after `maxConnectAttempts`
 * failed attempts in a row (with a clear message when the gateway closes right after the handshake, which is
 * how it refuses a certificate of the other environment), CLOSED or LEGACY_SHUTDOWN after repeated unconfirmed
 * re-sends, CLOSED after close(). Requests the gateway could
 * only refuse are answered locally with the status it would send, without poisoning the connection:
 * a token that is not 32 bytes of hex (5 InvalidTokenSize, or 8 InvalidToken when not hex), an empty
 * payload (4) or one over `maxPayloadBytes` (7). The topic and push type are not on this wire: the
 * certificate decides the topic. Priority 1 is sent as 5, the nearest the binary API has.
 */

import type { ApnsRequest, Verdict } from '@pushfleet/apns';
import {
  ApnsValidationError,
  NOOP_LISTENER,
  PendingSends,
  promiseOf,
  ReconnectBackoff,
  type SendReceiver,
  type SettleableSend,
  TransportError,
  type TransportListener,
} from '@pushfleet/apns';
import {
  checkHost,
  checkPort,
  clientTls,
  durationMs,
  integerAtLeast,
  withSecureContext,
} from '@pushfleet/apns/connection-options';
import {
  DEFAULT_CONNECT_GRACE_MS,
  DEFAULT_DELIVERY_WINDOW_MS,
  DEFAULT_LEGACY_CONNECT_TIMEOUT_MS,
  DEFAULT_LEGACY_RECONNECT_BASE_DELAY_MS,
  DEFAULT_LEGACY_RECONNECT_MAX_DELAY_MS,
  DEFAULT_LEGACY_RESEND_BUFFER_SIZE,
  DEFAULT_MAX_CONNECT_ATTEMPTS,
  type LegacyClientOptions,
  type LegacyClientStats,
  MAX_LEGACY_UNCONFIRMED_RESENDS,
} from './legacy-client-options.js';
import { LegacyConnection, type LegacyConnectionOptions, type LegacyFrame } from './legacy-connection.js';
import { legacyDeliveredVerdict, legacyErrorVerdict } from './legacy-verdict.js';
import { PacedDeliveries } from './paced-deliveries.js';
import type { ResendEntry, ResendOutcome } from './resend-buffer.js';
import { SHUTDOWN_STATUS } from './resend-buffer.js';
import { checkPayloadLimit, isHex } from './validation.js';
import { LEGACY_MAX_UINT32, LEGACY_TOKEN_HEX_CHARS } from './wire.js';

/** The legacy gateway port (Apple's binary provider API: gateway.push.apple.com:2195). */
export const DEFAULT_LEGACY_GATEWAY_PORT = 2195;

interface Pending extends LegacyFrame, SettleableSend {
  readonly apnsId: string;
  /** Re-sends whose need nobody confirmed (silent close, shutdown, buffer too small). */
  unconfirmed: number;
  /** performance.now() of the first write. */
  firstWrittenAt: number;
}

export class LegacyClient implements AsyncDisposable {
  readonly #connection: Omit<LegacyConnectionOptions, 'graceMs'>;
  readonly #graceMs: number;
  readonly #maxConnectAttempts: number;
  readonly #maxPayload: number;
  readonly #listener: TransportListener;
  readonly #pending: PendingSends;
  readonly #backoff: ReconnectBackoff;
  /** Notifications the gateway confirmed, settled a slice per event-loop turn. */
  readonly #confirmed = new PacedDeliveries<ResendEntry<Pending>>((e) => this.#deliver(e.notification));
  #queue: Pending[] = [];
  #head = 0;
  #current: LegacyConnection<Pending> | undefined;
  /** The gateway accepted this certificate once: later connections skip the grace period. */
  #verified = false;
  #connectFailures = 0;
  #flushScheduled = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  /** Callers of `connect()` waiting for the connection being opened. */
  #connectWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #stats = { connections: 0, resent: 0, bufferTooSmall: 0, errorResponses: 0 };

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: LegacyClientOptions) {
    const host = checkHost('host', options.host);
    const gatewayPort = checkPort('port', options.port, DEFAULT_LEGACY_GATEWAY_PORT);
    const tls = clientTls(host, options, options);
    const capacity = integerAtLeast(
      'resendBufferSize',
      options.resendBufferSize,
      DEFAULT_LEGACY_RESEND_BUFFER_SIZE,
    );
    this.#maxPayload = checkPayloadLimit(options.maxPayloadBytes);
    this.#graceMs = durationMs('connectGraceMs', options.connectGraceMs, DEFAULT_CONNECT_GRACE_MS, true);
    const reconnectMaxDelayMs = durationMs(
      'reconnectMaxDelayMs',
      options.reconnectMaxDelayMs,
      DEFAULT_LEGACY_RECONNECT_MAX_DELAY_MS,
    );
    this.#backoff = new ReconnectBackoff(DEFAULT_LEGACY_RECONNECT_BASE_DELAY_MS, reconnectMaxDelayMs);
    this.#maxConnectAttempts = integerAtLeast(
      'maxConnectAttempts',
      options.maxConnectAttempts,
      DEFAULT_MAX_CONNECT_ATTEMPTS,
    );
    this.#listener = options.listener ?? NOOP_LISTENER;
    this.#pending = new PendingSends(this.#listener);
    this.#connection = {
      address: `${host}:${gatewayPort}`,
      // One TLS context for every reconnect (withSecureContext: the CA store is parsed once).
      tls: withSecureContext({ host, port: gatewayPort, ...tls }),
      connectTimeoutMs: durationMs(
        'connectTimeoutMs',
        options.connectTimeoutMs,
        DEFAULT_LEGACY_CONNECT_TIMEOUT_MS,
      ),
      deliveryWindowMs: durationMs('deliveryWindowMs', options.deliveryWindowMs, DEFAULT_DELIVERY_WINDOW_MS),
      capacity,
      maxPayloadBytes: this.#maxPayload,
    };
  }

  /**
   * Send one notification. Resolves with the gateway's verdict (delivered once no error named it within the
   * delivery window); rejects with {@link TransportError} only when its fate cannot be known (safe to resend).
   */
  send(request: ApnsRequest): Promise<Verdict> {
    return promiseOf((receiver) => this.submit(request, receiver));
  }

  /** `send` without a promise: `receiver` is told the verdict or the error, once (maybe at once). */
  submit(request: ApnsRequest, receiver: SendReceiver): void {
    if (this.#closing !== undefined) {
      receiver.reject(new TransportError('CLOSED', 'the client is closed; send() after close()'));
      return;
    }
    const apnsId = request.apnsId ?? '';
    const token = typeof request.token === 'string' ? request.token.toLowerCase() : '';
    const payload = typeof request.payload === 'string' ? Buffer.from(request.payload) : request.payload;
    const refused = this.#refusal(token, payload);
    if (refused !== undefined) {
      const verdict = legacyErrorVerdict(refused, apnsId);
      this.#listener.onVerdict?.(verdict, 0);
      receiver.resolve(verdict);
      return;
    }
    const expiry = request.expiration ?? 0;
    if (!Number.isInteger(expiry) || expiry < 0 || expiry > LEGACY_MAX_UINT32) {
      receiver.reject(new ApnsValidationError('expiration', `must be UNIX seconds in 0..2^32-1`));
      return;
    }
    const priority = request.priority === undefined || request.priority === 10 ? 10 : 5;
    this.#pending.accept();
    this.#queue.push({
      token,
      payload,
      expiry,
      priority,
      apnsId,
      receiver,
      settled: false,
      unconfirmed: 0,
      firstWrittenAt: 0,
    });
    this.#scheduleFlush();
  }

  /**
   * Open the connection now, not at the first send: a worker connects before it takes jobs, so that it sizes
   * its intake by the open connection's capacity (0 before). Resolves once open (past the grace period);
   * rejects with the attempt's TransportError. A send after a failed attempt tries again.
   */
  connect(): Promise<void> {
    if (this.#closing !== undefined)
      return Promise.reject(new TransportError('CLOSED', 'the client is closed; connect() after close()'));
    if (this.#current?.open) return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.#connectWaiters.push({ resolve, reject }));
    if (this.#current === undefined && this.#reconnectTimer === undefined) this.#connect();
    return opened;
  }

  /** Tell the callers of `connect()` how the attempt ended. */
  #connected(error?: Error): void {
    const waiters = this.#connectWaiters;
    if (waiters.length === 0) return;
    this.#connectWaiters = [];
    for (const w of waiters)
      if (error) w.reject(error);
      else w.resolve();
  }

  /**
   * Notifications the open connection can hold at once: the resend ring, which keeps each written frame for its
   * delivery window. 0 while no connection is open.
   */
  capacity(): number {
    return this.#current?.open ? this.#connection.capacity : 0;
  }

  get stats(): LegacyClientStats {
    return {
      queued: this.#queue.length - this.#head,
      inFlight: this.#current?.inFlight ?? 0,
      ...this.#stats,
    };
  }

  /**
   * Refuse new sends, let every accepted one settle (which waits out the delivery window, so a late error
   * packet is still read), then end the connection. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#connected(new TransportError('CLOSED', 'the client was closed before it connected'));
      await this.#pending.drained();
      clearTimeout(this.#reconnectTimer);
      this.#current?.end();
      this.#current = undefined;
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The status byte the gateway would answer for a request it cannot take, if any. */
  #refusal(token: string, payload: Buffer): number | undefined {
    if (!isHex(token) || token.length === 0) return 8;
    if (token.length !== LEGACY_TOKEN_HEX_CHARS) return 5;
    if (!(payload instanceof Uint8Array) || payload.length === 0) return 4;
    if (payload.length > this.#maxPayload) return 7;
    return undefined;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const queued = this.#head < this.#queue.length;
    // A caller of connect() waiting out a reconnect backoff is a reason to connect, like a queued send.
    if (!queued && this.#connectWaiters.length === 0) return;
    const connection = this.#current;
    if (connection === undefined) {
      if (this.#reconnectTimer === undefined) this.#connect();
      return;
    }
    if (!queued) return;
    const room = connection.room;
    if (room === 0) return;
    const end = Math.min(this.#queue.length, this.#head + room);
    const batch = this.#queue.slice(this.#head, end);
    this.#head = end;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    const now = performance.now();
    for (const p of batch) if (p.firstWrittenAt === 0) p.firstWrittenAt = now;
    connection.write(batch);
  }

  #connect(): void {
    this.#current = new LegacyConnection<Pending>(
      { ...this.#connection, graceMs: this.#verified ? 0 : this.#graceMs },
      {
        onOpen: () => {
          this.#verified = true;
          this.#connectFailures = 0;
          this.#stats.connections++;
          this.#listener.onConnectionOpened?.();
          this.#connected();
          this.#flush();
        },
        onConnectFailed: (connection, error) => this.#onConnectFailed(connection, error),
        onWritable: () => this.#flush(),
        onDelivered: (_connection, entries) => {
          this.#backoff.succeeded();
          this.#confirmed.add(entries);
          this.#flush(); // the resend buffer has room again
        },
        onErrorResponse: (connection, outcome) => this.#onErrorResponse(connection, outcome),
        onClosed: (connection, unconfirmed) => this.#onClosed(connection, unconfirmed),
      },
    );
  }

  #onConnectFailed(connection: LegacyConnection<Pending>, error: TransportError): void {
    if (this.#current !== connection) return;
    this.#current = undefined;
    this.#backoff.failed();
    this.#listener.onConnectFailed?.(error);
    this.#connected(error);
    if (++this.#connectFailures >= this.#maxConnectAttempts) {
      this.#connectFailures = 0;
      const message = `${error.message} (${this.#maxConnectAttempts} attempts in a row)`;
      const failed = new TransportError('CONNECT_FAILED', message, { cause: error.cause ?? error });
      const queued = this.#queue.slice(this.#head);
      this.#queue = [];
      this.#head = 0;
      for (const p of queued) this.#pending.reject(p, failed);
      return;
    }
    this.#reconnectLater();
  }

  #onErrorResponse(connection: LegacyConnection<Pending>, outcome: ResendOutcome<Pending>): void {
    this.#backoff.succeeded();
    this.#stats.errorResponses++;
    if (this.#current === connection) this.#current = undefined;
    this.#listener.onConnectionClosed?.(`error-response-${outcome.status}`);
    this.#confirmed.add(outcome.delivered);
    if (outcome.failed !== undefined) {
      const p = outcome.failed.notification;
      this.#pending.resolve(p, legacyErrorVerdict(outcome.status, p.apnsId), p.firstWrittenAt);
    }
    if (outcome.bufferTooSmall) this.#stats.bufferTooSmall++;
    // After an error naming another notification, the rest was discarded unread: re-sending is progress.
    // After a shutdown or an unknown identifier, nobody confirmed it: count the re-send.
    const unconfirmed = outcome.status === SHUTDOWN_STATUS || outcome.bufferTooSmall;
    this.#requeue(
      outcome.resend,
      unconfirmed,
      outcome.status === SHUTDOWN_STATUS ? 'LEGACY_SHUTDOWN' : 'CLOSED',
    );
    this.#flush();
  }

  #onClosed(connection: LegacyConnection<Pending>, unconfirmed: ResendEntry<Pending>[]): void {
    if (this.#current === connection) this.#current = undefined;
    this.#listener.onConnectionClosed?.('closed');
    if (unconfirmed.length > 0) this.#backoff.failed();
    this.#requeue(unconfirmed, true, 'CLOSED');
    if (this.#head < this.#queue.length) this.#reconnectLater();
  }

  /** Put written notifications back at the front of the queue, oldest first. */
  #requeue(entries: ResendEntry<Pending>[], unconfirmed: boolean, code: 'CLOSED' | 'LEGACY_SHUTDOWN'): void {
    const back: Pending[] = [];
    for (const { notification: p } of entries) {
      if (p.settled) continue;
      if (unconfirmed && ++p.unconfirmed > MAX_LEGACY_UNCONFIRMED_RESENDS) {
        this.#pending.reject(
          p,
          new TransportError(
            code,
            `legacy gateway ${this.#connection.address} dropped the connection ${p.unconfirmed} times ` +
              'with this notification unconfirmed',
          ),
        );
        continue;
      }
      back.push(p);
    }
    if (back.length === 0) return;
    this.#stats.resent += back.length;
    const rest = this.#queue.slice(this.#head);
    this.#queue = back.concat(rest);
    this.#head = 0;
  }

  #reconnectLater(): void {
    if (this.#reconnectTimer !== undefined || this.#current !== undefined) return;
    const delay = this.#backoff.delayMs();
    if (delay === 0) {
      this.#scheduleFlush();
      return;
    }
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#flush();
    }, delay);
  }

  #deliver(p: Pending): void {
    this.#pending.resolve(p, legacyDeliveredVerdict(p.apnsId), p.firstWrittenAt);
  }
}
