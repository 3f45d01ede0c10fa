/**
 * Requests over one HTTP/2 connection at a time (@pushfleet/h2 ClientConnection) to one origin: the transport of
 * the channel-management client and the broadcast client. A request resolves with whatever APNs answered
 * (status, headers, body) and rejects with {@link TransportError} when no answer came.
 *
 * Unlike the /3/device pool, nothing is re-sent after it may have reached the server (a lost connection, a
 * timeout): a channel create or a broadcast is not idempotent, so the caller decides (channel-client.ts
 * reconciles a create by listing). Only what the server never processed goes out again: REFUSED_STREAM, and
 * streams above a GOAWAY's last-stream-id (RFC 9113 §6.8, §8.7).
 */
import type { ConnectionOptions } from 'node:tls';
import { ClientConnection, type ClientConnectionHandler, type ClientStream, ErrorCode } from '@pushfleet/h2';
import { withSecureContext } from '../connection-options.js';
import { TransportError } from '../errors.js';
import { ReconnectBackoff } from '../reconnect-backoff.js';
import { HeaderList } from './header-list.js';

export interface SessionAnswer {
  readonly status: number;
  /** Response fields, names lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

export interface SessionRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string | Buffer | undefined;
}

export interface RequestSessionOptions {
  readonly host: string;
  readonly port: number;
  /** `:authority`: the bare host name, as in Apple's samples. */
  readonly authority: string;
  readonly tls: ConnectionOptions;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  /** Response body bytes kept (a list of 10,000 channel ids is a few hundred KB). */
  readonly maxBodyBytes: number;
}

interface PendingRequest extends ClientStream {
  readonly request: SessionRequest;
  readonly headers: Record<string, string>;
  readonly resolve: (answer: SessionAnswer) => void;
  readonly reject: (error: TransportError) => void;
}

type Connection = ClientConnection<PendingRequest>;

export class RequestSession implements AsyncDisposable {
  readonly #o: RequestSessionOptions;
  readonly #backoff: ReconnectBackoff;
  readonly #waiting: PendingRequest[] = [];
  readonly #handler: ClientConnectionHandler<PendingRequest>;
  #connection: Connection | undefined;
  #answered = false;
  #ticket: Buffer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: RequestSessionOptions) {
    // One TLS context for every connect of this session (connection-options.ts: withSecureContext).
    this.#o = { ...options, tls: withSecureContext(options.tls) };
    this.#backoff = new ReconnectBackoff(100, options.reconnectMaxDelayMs);
    this.#handler = this.#createHandler();
  }

  /** Send one request; resolves with APNs' answer (any status), rejects with TransportError when none came. */
  request(request: SessionRequest): Promise<SessionAnswer> {
    if (this.#closing !== undefined)
      return Promise.reject(new TransportError('CLOSED', 'the session is closed'));
    return new Promise((resolve, reject) => {
      const pending: PendingRequest = {
        request,
        headers: {},
        resolve,
        reject,
        body: request.body ?? '',
        deadline: performance.now() + this.#o.requestTimeoutMs,
        settled: false,
        streamId: 0,
        status: 0,
        chunks: undefined,
        dataOffset: 0,
        sendWindow: 0,
        writtenAt: 0,
      };
      this.#waiting.push(pending);
      this.#pump();
    });
  }

  /** Take no new streams on the current connection (it finishes what it carries); the next request opens another. */
  recycle(): void {
    this.#connection?.retire('closed');
  }

  /** Fail what waits, let open streams finish, close the connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const p of this.#waiting.splice(0))
        this.#reject(p, new TransportError('CLOSED', 'the session closed'));
      await this.#connection?.close();
      clearInterval(this.#timer);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pump(): void {
    const c = this.#connection;
    if (c === undefined || c.closed || !c.accepting) {
      if (this.#waiting.length > 0 && this.#closing === undefined) this.#open();
      return;
    }
    while (c.free > 0 && this.#waiting.length > 0) {
      const pending = this.#waiting.shift()!;
      if (pending.settled) continue;
      for (const key of Object.keys(pending.headers)) delete pending.headers[key];
      const r = pending.request;
      c.request(pending, new HeaderList(r.method, this.#o.authority, r.path, r.headers));
    }
  }

  #open(): void {
    if (this.#connection !== undefined && !this.#connection.closed && this.#connection.accepting) return;
    const o = this.#o;
    this.#answered = false;
    this.#connection = new ClientConnection<PendingRequest>({
      host: o.host,
      port: o.port,
      tls: this.#ticket === undefined ? o.tls : { ...o.tls, session: this.#ticket },
      handler: this.#handler,
      connectDelayMs: this.#backoff.delayMs(),
      connectTimeoutMs: o.connectTimeoutMs,
      pingIntervalMs: o.pingIntervalMs,
      pingTimeoutMs: o.pingTimeoutMs,
      maxBodyBytes: o.maxBodyBytes,
    });
    this.#timer ??= setInterval(() => this.#tick(), 50).unref();
  }

  #tick(): void {
    const now = performance.now();
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const p = this.#waiting[i]!;
      if (p.deadline > now) continue;
      this.#waiting.splice(i, 1);
      this.#reject(p, new TransportError('TIMEOUT', 'no stream could be opened before the request timeout'));
    }
    this.#connection?.tick(now);
  }

  #resolve(p: PendingRequest, answer: SessionAnswer): void {
    if (p.settled) return;
    p.settled = true;
    p.resolve(answer);
  }

  #reject(p: PendingRequest, error: TransportError): void {
    if (p.settled) return;
    p.settled = true;
    p.reject(error);
  }

  /** Never processed by the server: safe to send again. */
  #again(p: PendingRequest): void {
    if (p.settled) return;
    this.#waiting.unshift(p);
    this.#pump();
  }

  #createHandler(): ClientConnectionHandler<PendingRequest> {
    return {
      onResponseHeader: (p, name, value) => {
        p.headers[name] = value;
      },
      onResponse: (_c, p, body) => {
        this.#answered = true;
        this.#backoff.succeeded();
        this.#resolve(p, { status: p.status, headers: { ...p.headers }, body });
      },
      onReset: (p, code, streamId) => {
        if (code === ErrorCode.REFUSED_STREAM) this.#again(p);
        else
          this.#reject(p, new TransportError('STREAM_RESET', `stream ${streamId} reset with code ${code}`));
      },
      onNotProcessed: (p) => this.#again(p),
      onLost: (p, error) =>
        this.#reject(
          p,
          new TransportError(
            'CLOSED',
            'the connection closed before the answer; the server may have processed it',
            {
              cause: error,
            },
          ),
        ),
      onTimeout: (p) =>
        this.#reject(p, new TransportError('TIMEOUT', 'no answer before the request timeout')),
      onCapacity: () => this.#pump(),
      onOpened: () => {},
      onDraining: (c) => {
        if (c === this.#connection && this.#waiting.length > 0) this.#pump();
      },
      onClosed: (c, reason, connected, error) => {
        if (c !== this.#connection) return;
        this.#connection = undefined;
        if (!this.#answered) this.#backoff.failed();
        if (!connected && reason !== 'closed') {
          const failure = new TransportError(
            'CONNECT_FAILED',
            `could not connect to ${this.#o.authority}:${this.#o.port}: ${error?.message ?? reason}`,
            { cause: error },
          );
          for (const p of this.#waiting.splice(0)) this.#reject(p, failure);
          return;
        }
        this.#pump();
      },
      onTlsSession: (ticket) => {
        this.#ticket = ticket;
      },
    };
  }
}
