import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type Settings,
} from 'node:http2';
import type { Socket } from 'node:net';
import { TransportError, type TransportErrorCode } from '../errors.js';
import type { PendingRequest } from './pending-request.js';
import type { ApnsSessionOptions, SessionCloseReason, SessionOwner } from './session-owner.js';
import { attachStream, pendingOf, readBody } from './stream-handlers.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;

const REQUEST_OPTIONS = { endStream: false } as const;
/** After a drained session sent its GOAWAY and ended its socket, wait this long for the peer to close it too. */
const DRAIN_GRACE_MS = 250;
const UNLIMITED_STREAMS = 2 ** 31 - 1;

/**
 * One long-lived HTTP/2 connection to APNs with its own FIFO: requests beyond the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS wait here and start as streams finish. Opens no stream after a GOAWAY, hands
 * unprocessed requests back to its owner, pings when idle. A session pool holds several of these.
 */
export class ApnsSession {
  readonly #o: ApnsSessionOptions;
  readonly #owner: SessionOwner;
  #session: ClientHttp2Session | undefined;
  #socket: Socket | undefined;
  #queue: (PendingRequest | undefined)[] = [];
  #head = 0;
  readonly #active = new Set<ClientHttp2Stream>();
  #limit = 1;
  #accepting = true;
  #connected = false;
  #closed = false;
  #goawayLastStreamId = -1;
  #goawayReason: string | undefined;
  #closeReason: SessionCloseReason | undefined;
  #error: Error | undefined;
  #connectStartedAt = -1;
  #lastActivity = 0;
  #pingSentAt = -1;
  readonly #timer: NodeJS.Timeout;
  #connectTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #resolveClosed!: () => void;
  readonly #closedPromise = new Promise<void>((resolve) => (this.#resolveClosed = resolve));

  constructor(options: ApnsSessionOptions) {
    this.#o = options;
    this.#owner = options.owner;
    this.#timer = setInterval(() => this.#tick(), options.tickMs).unref();
    // Always asynchronous, so the owner has registered the session before any event of it arrives.
    this.#connectTimer = setTimeout(() => this.#connect(), options.connectDelayMs);
  }

  /** Takes new requests (not draining, not closed). */
  get accepting(): boolean {
    return this.#accepting;
  }
  get connected(): boolean {
    return this.#connected;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Streams open now. */
  get inFlight(): number {
    return this.#active.size;
  }
  /** Requests waiting for a stream slot or for the connection. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }
  /** The server's current SETTINGS_MAX_CONCURRENT_STREAMS (1 until its first SETTINGS frame). */
  get maxConcurrentStreams(): number {
    return this.#limit;
  }
  /** The `reason` of a GOAWAY's JSON debug data, if one came. */
  get goawayReason(): string | undefined {
    return this.#goawayReason;
  }

  /** Queue a request; false when the session takes no new requests (the caller must pick another). */
  enqueue(pending: PendingRequest): boolean {
    if (!this.#accepting) return false;
    this.#queue.push(pending);
    this.#pump();
    return true;
  }

  /** Take no new requests, hand queued ones back, let in-flight streams finish, then close. */
  retire(reason: SessionCloseReason): void {
    this.#closeReason ??= reason;
    this.#stopAccepting();
    if (this.#closed) return;
    if (this.#connected && this.#session !== undefined) this.#closeWhenDrained();
    else this.#destroy(reason, undefined);
  }

  /** Graceful close; resolves once the connection is gone. Idempotent. */
  close(): Promise<void> {
    this.retire('closed');
    return this.#closedPromise;
  }

  /** Drop the connection now; in-flight streams fail with `CLOSED`. */
  destroy(): Promise<void> {
    this.#destroy('closed', undefined);
    return this.#closedPromise;
  }

  #connect(): void {
    this.#connectTimer = undefined;
    if (this.#closed) return;
    this.#connectStartedAt = performance.now();
    let session: ClientHttp2Session;
    try {
      session = http2.connect(this.#o.url, this.#o.connectOptions);
    } catch (error) {
      this.#error = error as Error;
      this.#onClose();
      return;
    }
    this.#session = session;
    session.on('connect', (_session: ClientHttp2Session, socket: Socket) => {
      this.#socket = socket;
      this.#onConnect();
    });
    session.on('remoteSettings', (settings: Settings) => this.#onRemoteSettings(settings));
    session.on('goaway', (code: number, lastStreamId: number, data?: Buffer) =>
      this.#onGoaway(code, lastStreamId, data),
    );
    session.on('error', (error: Error) => {
      this.#error ??= error;
      this.#closeReason ??= 'error';
    });
    session.on('close', () => this.#onClose());
  }

  #onConnect(): void {
    if (this.#closed) return;
    this.#connected = true;
    this.#lastActivity = performance.now();
    this.#limit = readLimit(this.#session!.remoteSettings);
    this.#owner.onOpened(this);
    this.#pump();
  }

  #onRemoteSettings(settings: Settings): void {
    this.#limit = readLimit(settings);
    this.#lastActivity = performance.now();
    this.#pump();
  }

  #onGoaway(code: number, lastStreamId: number, data: Buffer | undefined): void {
    this.#goawayLastStreamId = lastStreamId;
    this.#closeReason ??= code === NGHTTP2_NO_ERROR ? 'goaway' : 'error';
    if (data !== undefined && data.length > 0) {
      try {
        const parsed = JSON.parse(data.toString('utf8')) as { reason?: unknown };
        if (typeof parsed.reason === 'string') this.#goawayReason = parsed.reason;
      } catch {
        // Debug data is free text; only the JSON form carries a reason.
      }
    }
    this.#stopAccepting();
  }

  #stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    const queued = this.#takeQueue();
    this.#owner.onDraining(this);
    for (const pending of queued) if (!pending.settled) this.#owner.onRequeue(pending, false);
    this.#closeWhenDrained();
  }

  /**
   * Once draining and idle: close (our GOAWAY, end of socket), then destroy if the peer keeps its side open.
   * Node alone would wait for the peer forever after a GOAWAY, leaving a session that only refuses streams.
   */
  #closeWhenDrained(): void {
    if (this.#accepting || this.#closed || this.#active.size > 0 || this.#drainTimer !== undefined) return;
    const session = this.#session;
    if (session === undefined || !this.#connected) return;
    if (!session.closed) session.close();
    this.#drainTimer = setTimeout(
      () => this.#destroy(this.#closeReason ?? 'closed', undefined),
      DRAIN_GRACE_MS,
    );
    this.#drainTimer.unref();
  }

  #takeQueue(): PendingRequest[] {
    const out: PendingRequest[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const pending = this.#queue[i];
      if (pending !== undefined) out.push(pending);
    }
    this.#queue = [];
    this.#head = 0;
    return out;
  }

  #pump(): void {
    if (!this.#connected || !this.#accepting) return;
    if (this.#session!.closed) {
      // Node refuses new streams once closing (e.g. it saw a GOAWAY we have not been told about yet).
      this.retire('goaway');
      return;
    }
    while (this.#active.size < this.#limit && this.#head < this.#queue.length) {
      const pending = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      if (!pending.settled) this.#write(pending);
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #write(pending: PendingRequest): void {
    let stream: ClientHttp2Stream;
    try {
      stream = this.#session!.request(this.#owner.headersFor(pending), REQUEST_OPTIONS);
    } catch (error) {
      // Closing, destroyed or out of stream ids: nothing was written; retire and let the owner re-route it.
      pending.cause = error;
      this.retire('error');
      this.#owner.onRequeue(pending, false);
      return;
    }
    attachStream(stream, pending, this);
    pending.stream = stream;
    pending.responseHeaders = undefined;
    pending.chunks = undefined;
    pending.writtenAt = this.#lastActivity = performance.now();
    this.#active.add(stream);
    stream.end(pending.request.payload);
  }

  /** @internal Response headers arrived on one of this session's streams (see {@link onStreamResponse}). */
  streamResponse(stream: ClientHttp2Stream, pending: PendingRequest, headers: IncomingHttpHeaders): void {
    this.#lastActivity = performance.now();
    if (pending.settled || pending.stream !== stream) {
      stream.resume();
      return;
    }
    const status = (headers[':status'] as number | undefined) ?? 0;
    if (status === 200) {
      stream.resume();
      pending.stream = undefined;
      this.#owner.onAnswer(this, pending, 200, headers, undefined);
      return;
    }
    pending.responseHeaders = headers;
    pending.chunks = [];
    readBody(stream);
  }

  /** @internal The body of a non-200 answer is complete. */
  streamBody(stream: ClientHttp2Stream, pending: PendingRequest): void {
    const headers = pending.responseHeaders;
    if (pending.settled || pending.stream !== stream || headers === undefined) return;
    const body = Buffer.concat(pending.chunks ?? []);
    pending.chunks = undefined;
    pending.stream = undefined;
    this.#owner.onAnswer(this, pending, (headers[':status'] as number | undefined) ?? 0, headers, body);
  }

  /** @internal One of this session's streams closed. */
  streamClosed(stream: ClientHttp2Stream, pending: PendingRequest): void {
    this.#streamEnded(pending, stream);
  }

  #streamEnded(pending: PendingRequest, stream: ClientHttp2Stream): void {
    if (!this.#active.delete(stream)) return;
    if (!pending.settled && pending.stream === stream) {
      pending.stream = undefined;
      const id = stream.id;
      const unprocessed =
        id === undefined ||
        stream.rstCode === NGHTTP2_REFUSED_STREAM ||
        (this.#goawayLastStreamId >= 0 && id > this.#goawayLastStreamId);
      if (unprocessed) this.#owner.onRequeue(pending, id !== undefined);
      else this.#owner.onFailed(pending, this.#noAnswer(pending, stream));
    }
    if (this.#accepting) this.#pump();
    else this.#closeWhenDrained();
  }

  #noAnswer(pending: PendingRequest, stream: ClientHttp2Stream): TransportError {
    let code: TransportErrorCode;
    let detail: string;
    if (this.#session?.destroyed || this.#closed) {
      code = this.#goawayLastStreamId >= 0 ? 'GOAWAY' : 'CLOSED';
      detail =
        code === 'GOAWAY' ? 'the server sent GOAWAY and closed the connection' : 'the connection closed';
    } else if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) {
      code = 'STREAM_RESET';
      detail = `RST_STREAM code ${stream.rstCode}`;
    } else {
      code = 'PROTOCOL';
      detail = 'the stream ended with no response headers';
    }
    return new TransportError(code, `stream ${stream.id} got no answer: ${detail}`, { cause: pending.cause });
  }

  #tick(): void {
    const now = performance.now();
    for (let i = this.#head; i < this.#queue.length; i++) {
      const pending = this.#queue[i];
      if (pending === undefined || pending.settled || now < pending.deadline) continue;
      this.#queue[i] = undefined;
      this.#owner.onFailed(pending, timeoutError(false));
    }
    for (const stream of this.#active) {
      const pending = pendingOf(stream);
      if (pending.settled || pending.stream !== stream || now < pending.deadline) continue;
      this.#owner.onFailed(pending, timeoutError(true));
      stream.close(NGHTTP2_CANCEL);
    }
    if (this.#closed) return;
    if (!this.#connected) {
      if (this.#connectStartedAt >= 0 && now - this.#connectStartedAt >= this.#o.connectTimeoutMs) {
        this.#destroy('connect-timeout', new Error(`no connection within ${this.#o.connectTimeoutMs} ms`));
      }
      return;
    }
    if (this.#pingSentAt >= 0) {
      if (now - this.#pingSentAt >= this.#o.pingTimeoutMs) {
        this.#destroy('ping-timeout', new Error(`no PING ACK within ${this.#o.pingTimeoutMs} ms`));
      }
    } else if (now - this.#lastActivity >= this.#o.pingIntervalMs) {
      this.#pingSentAt = now;
      try {
        this.#session!.ping(this.#onPingAck);
      } catch {
        this.#pingSentAt = -1;
      }
    }
  }

  readonly #onPingAck = (error: Error | null): void => {
    this.#pingSentAt = -1;
    if (error === null) this.#lastActivity = performance.now();
  };

  #destroy(reason: SessionCloseReason, error: Error | undefined): void {
    this.#closeReason ??= reason;
    if (error !== undefined) this.#error ??= error;
    if (this.#closed) return;
    if (this.#session !== undefined) {
      if (!this.#session.destroyed) this.#session.destroy();
      // After a GOAWAY Node ends its side and waits for the peer's; do not wait.
      this.#socket?.destroy();
    } else {
      if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
      this.#onClose();
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    const wasAccepting = this.#accepting;
    this.#accepting = false;
    const queued = this.#takeQueue();
    if (wasAccepting) this.#owner.onDraining(this);
    // Node closes streams before the session; anything left is settled here so nothing hangs.
    for (const stream of [...this.#active]) {
      this.#streamEnded(pendingOf(stream), stream);
    }
    if (this.#connected) {
      for (const pending of queued) if (!pending.settled) this.#owner.onRequeue(pending, false);
    } else {
      const failure = new TransportError(
        'CONNECT_FAILED',
        `could not connect to ${this.#o.url}: ${this.#error?.message ?? 'closed before connecting'}`,
        { cause: this.#error },
      );
      for (const pending of queued) if (!pending.settled) this.#owner.onFailed(pending, failure);
    }
    const reason = this.#closeReason ?? (this.#error !== undefined ? 'error' : 'remote-closed');
    this.#owner.onClosed(this, reason, this.#connected, this.#error);
    this.#resolveClosed();
  }
}

function readLimit(settings: Settings): number {
  return settings.maxConcurrentStreams ?? UNLIMITED_STREAMS;
}

function timeoutError(written: boolean): TransportError {
  return new TransportError(
    'TIMEOUT',
    written ? 'no answer before the request timeout' : 'no stream could be opened before the request timeout',
  );
}
