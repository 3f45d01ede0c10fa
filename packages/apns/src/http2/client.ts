import http2, {
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { rootCertificates } from 'node:tls';
import type { ProviderTokenSource } from '../auth/provider-token-source.js';
import { ApnsValidationError, CredentialsError, TransportError } from '../errors.js';
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
  type Http2ClientStats,
  MAX_EXPIRED_TOKEN_RETRIES,
  MAX_UNPROCESSED_RESENDS,
} from './client-options.js';
import { createPendingRequest, type PendingRequest } from './pending-request.js';
import { ApnsSession } from './session.js';
import type { ApnsSessionOptions, SessionCloseReason, SessionOwner } from './session-owner.js';
import { verdictFromAnswer } from './verdict-from-answer.js';

const PATH_PREFIX = '/3/device/';
const SENSITIVE_HEADERS: readonly string[] = ['apns-id'];

/**
 * The APNs HTTP/2 client: one long-lived session (opened lazily, replaced on GOAWAY/close/error with backoff),
 * `send()` → {@link Verdict} when APNs answered, {@link TransportError} when it did not.
 */
export class Http2Client implements AsyncDisposable {
  readonly #authority: string;
  readonly #token: ProviderTokenSource | undefined;
  readonly #listener: TransportListener;
  readonly #requestTimeoutMs: number;
  readonly #reconnectMaxDelayMs: number;
  readonly #sessionOptions: Omit<ApnsSessionOptions, 'connectDelayMs'>;
  readonly #sessions = new Set<ApnsSession>();
  readonly #answered = new WeakSet<ApnsSession>();
  #current: ApnsSession | undefined;
  #failures = 0;
  #pending = 0;
  #resent = 0;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: Http2ClientOptions) {
    const url = parseUrl(options.url);
    this.#authority = url.host;
    this.#listener = options.listener ?? NOOP_LISTENER;
    this.#requestTimeoutMs = positive(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
    );
    const connectTimeoutMs = positive(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      DEFAULT_CONNECT_TIMEOUT_MS,
    );
    const pingIntervalMs = positive('pingIntervalMs', options.pingIntervalMs, DEFAULT_PING_INTERVAL_MS);
    const pingTimeoutMs = positive('pingTimeoutMs', options.pingTimeoutMs, DEFAULT_PING_TIMEOUT_MS);
    this.#reconnectMaxDelayMs = positive(
      'reconnectMaxDelayMs',
      options.reconnectMaxDelayMs,
      DEFAULT_RECONNECT_MAX_DELAY_MS,
    );
    const connectOptions: SecureClientSessionOptions = {
      // Until the server's first SETTINGS frame, assume one stream (a token connection starts at 1, B.10).
      peerMaxConcurrentStreams: 1,
      settings: { enablePush: false },
    };
    if (options.ca !== undefined) {
      const extra = Array.isArray(options.ca) ? options.ca : [options.ca];
      connectOptions.ca = [...rootCertificates, ...extra];
    }
    const auth = options.auth;
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
    } else if (auth?.kind === 'certificate') {
      if (!auth.cert || auth.cert.length === 0) throw new CredentialsError('auth.cert', 'is required (PEM)');
      if (!auth.key || auth.key.length === 0) throw new CredentialsError('auth.key', 'is required (PEM)');
      connectOptions.cert = auth.cert;
      connectOptions.key = auth.key;
      if (auth.passphrase !== undefined) connectOptions.passphrase = auth.passphrase;
    } else {
      throw new CredentialsError('auth.kind', "must be 'token' or 'certificate'");
    }
    this.#sessionOptions = {
      url: url.origin,
      connectOptions,
      owner: this.#createOwner(),
      connectTimeoutMs,
      pingIntervalMs,
      pingTimeoutMs,
      tickMs: Math.min(
        1000,
        Math.max(10, Math.min(this.#requestTimeoutMs, pingIntervalMs, pingTimeoutMs, connectTimeoutMs) / 4),
      ),
    };
  }

  /**
   * Send one notification. Resolves with APNs' verdict (any status); rejects with {@link TransportError} only
   * when no answer came (always safe to resend). Never resolves `delivered` without a 200.
   */
  send(request: ApnsRequest): Promise<Verdict> {
    if (this.#closing !== undefined) {
      return Promise.reject(new TransportError('CLOSED', 'the client is closed; send() after close()'));
    }
    this.#pending++;
    const deadline = performance.now() + this.#requestTimeoutMs;
    return new Promise<Verdict>((resolve, reject) => {
      this.#dispatch(createPendingRequest(request, resolve, reject, deadline));
    });
  }

  /** Load right now. */
  get stats(): Http2ClientStats {
    let inFlight = 0;
    let queued = 0;
    for (const session of this.#sessions) {
      inFlight += session.inFlight;
      queued += session.queued;
    }
    return { sessions: this.#sessions.size, inFlight, queued, resent: this.#resent };
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
    this.#current = undefined;
    await Promise.all([...this.#sessions].map((session) => session.close()));
  }

  #dispatch(pending: PendingRequest): void {
    let session = this.#current;
    if (session === undefined || !session.accepting) session = this.#openSession();
    if (!session.enqueue(pending)) {
      this.#settleError(pending, new TransportError('CLOSED', 'no session would take the request'));
    }
  }

  #openSession(): ApnsSession {
    const session = new ApnsSession({ ...this.#sessionOptions, connectDelayMs: this.#backoffMs() });
    this.#sessions.add(session);
    this.#current = session;
    return session;
  }

  #backoffMs(): number {
    if (this.#failures === 0) return 0;
    const exp = DEFAULT_RECONNECT_BASE_DELAY_MS * 2 ** Math.min(this.#failures - 1, 16);
    const capped = Math.min(this.#reconnectMaxDelayMs, exp);
    return Math.round(capped * (0.5 + Math.random() * 0.5));
  }

  #headersFor(pending: PendingRequest): OutgoingHttpHeaders {
    const r = pending.request;
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':scheme': 'https',
      ':authority': this.#authority,
      ':path': PATH_PREFIX + r.token,
      'apns-topic': r.topic,
      'apns-push-type': r.pushType,
    };
    if (r.priority !== undefined) headers['apns-priority'] = r.priority;
    if (r.expiration !== undefined) headers['apns-expiration'] = r.expiration;
    if (r.collapseId !== undefined) headers['apns-collapse-id'] = r.collapseId;
    if (r.apnsId !== undefined) {
      headers['apns-id'] = r.apnsId;
      (headers as Record<symbol, unknown>)[http2.sensitiveHeaders] = SENSITIVE_HEADERS;
    }
    if (this.#token !== undefined) headers.authorization = pending.bearer = this.#token.bearer();
    return headers;
  }

  #onAnswer(
    session: ApnsSession,
    pending: PendingRequest,
    status: number,
    headers: IncomingHttpHeaders,
    body: Buffer | undefined,
  ): void {
    this.#failures = 0;
    this.#answered.add(session);
    const apnsId = (headers['apns-id'] as string | undefined) ?? pending.request.apnsId ?? '';
    if (status === 200) {
      this.#settleVerdict(pending, { outcome: 'delivered', action: undefined, status, apnsId });
      return;
    }
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

  #onRequeue(pending: PendingRequest, written: boolean): void {
    if (pending.settled) return;
    if (written) {
      this.#resent++;
      if (++pending.resends > MAX_UNPROCESSED_RESENDS) {
        const message = `APNs did not process the request in ${pending.resends} attempts (refused or GOAWAY)`;
        this.#settleError(pending, new TransportError('GOAWAY', message, { cause: pending.cause }));
        return;
      }
    }
    this.#dispatch(pending);
  }

  #onClosed(
    session: ApnsSession,
    reason: SessionCloseReason,
    connected: boolean,
    error: Error | undefined,
  ): void {
    this.#sessions.delete(session);
    if (this.#current === session) this.#current = undefined;
    const ours = reason === 'closed' || reason === 'expired-provider-token';
    if (!ours && !this.#answered.has(session)) this.#failures++;
    if (connected) {
      this.#listener.onConnectionClosed?.(reason);
    } else if (!ours) {
      this.#listener.onConnectFailed?.(error ?? new Error(`${reason} before the connection was made`));
    }
  }

  #settleVerdict(pending: PendingRequest, verdict: Verdict): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#listener.onVerdict?.(verdict, (performance.now() - pending.writtenAt) / 1000);
    pending.resolve(verdict);
    this.#settled();
  }

  #settleError(pending: PendingRequest, error: TransportError): void {
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

  #createOwner(): SessionOwner {
    return {
      headersFor: (pending) => this.#headersFor(pending),
      onAnswer: (session, pending, status, headers, body) =>
        this.#onAnswer(session, pending, status, headers, body),
      onRequeue: (pending, written) => this.#onRequeue(pending, written),
      onFailed: (pending, error) => this.#settleError(pending, error),
      onOpened: () => this.#listener.onConnectionOpened?.(),
      onDraining: (session) => {
        if (this.#current === session) this.#current = undefined;
      },
      onClosed: (session, reason, connected, error) => this.#onClosed(session, reason, connected, error),
    };
  }
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApnsValidationError('url', 'is not a valid URL');
  }
  if (url.protocol !== 'https:')
    throw new ApnsValidationError('url', `must be https://, got ${url.protocol}//`);
  return url;
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ApnsValidationError(field, 'must be a positive number of milliseconds');
  }
  return value;
}
