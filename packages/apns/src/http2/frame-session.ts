/**
 * One HTTP/2 connection to APNs that writes and reads frames itself on a TLS socket (RFC 9113), built for one job:
 * POST a notification, read `:status`, `apns-id` and an error body. It exists because node:http2 spends most of its
 * time per stream on objects we do not need (a Duplex per stream, header objects, async-hook bindings); here a
 * stream is an id in a Map and a few fields on the request object.
 *
 * What it honours: the server's SETTINGS (MAX_CONCURRENT_STREAMS at every change, INITIAL_WINDOW_SIZE with the
 * delta applied to open streams, MAX_FRAME_SIZE, HEADER_TABLE_SIZE for the encoder), send flow control (connection
 * and stream windows; DATA waits for WINDOW_UPDATE), receive flow control (our windows are large and refilled),
 * PING (answered; sent after `pingIntervalMs` of silence, dropped after `pingTimeoutMs` without an ACK),
 * GOAWAY (no new stream; streams above last-stream-id go back to the owner as unprocessed; the rest finish),
 * RST_STREAM (REFUSED_STREAM is unprocessed; other codes are a failure without an answer), CONTINUATION, padding,
 * and a full HPACK decoder with Huffman for the responses. Protocol violations by the peer end the connection
 * with GOAWAY and the matching error code.
 *
 * Writes are batched: every request written during one turn of the event loop goes out in one socket write.
 */
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  FrameType,
  frame,
  goawayPayload,
  HpackDecoder,
  HpackEncoder,
  HpackError,
  literalLength,
  MAX_STREAM_ID,
  MAX_WINDOW,
  PREFACE,
  Setting,
  settingsPayload,
  u32,
  writeFrameHeader,
  writeLiteral,
  writePath,
} from '@pushfleet/h2';
import { TransportError } from '../errors.js';
import type { SessionCloseReason } from './close-reasons.js';
import type { PoolRequest } from './pool-request.js';

/** What a frame session reports to its pool. */
export interface FrameSessionOwner {
  /** The `authorization` value for this write, or undefined (certificate auth). */
  bearerFor(pending: PoolRequest): string | undefined;
  /** APNs answered. `body` is undefined on 200 (never read). */
  onAnswer(session: FrameSession, pending: PoolRequest, body: Buffer | undefined): void;
  /** Not answered: send it elsewhere. `written`: it went on the wire (counts towards the resend limit). */
  onRequeue(pending: PoolRequest, written: boolean): void;
  /** No answer will come and it must not be re-sent: reject it. */
  onFailed(pending: PoolRequest, error: TransportError): void;
  /** Stream slots may have opened (connected, a stream ended, SETTINGS raised the limit). */
  onCapacity(session: FrameSession): void;
  onOpened(session: FrameSession): void;
  onDraining(session: FrameSession): void;
  onClosed(
    session: FrameSession,
    reason: SessionCloseReason,
    connected: boolean,
    error: Error | undefined,
  ): void;
  /** A TLS session ticket to resume the next connection with. */
  onTlsSession(ticket: Buffer): void;
}

export interface FrameSessionOptions {
  readonly host: string;
  readonly port: number;
  /** `:authority`. */
  readonly authority: string;
  /** TLS options (ca, cert, key, passphrase, servername, session...). ALPN is set here. */
  readonly tls: ConnectionOptions;
  readonly owner: FrameSessionOwner;
  readonly connectDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
}

const PATH_PREFIX = '/3/device/';
/** Our receive windows: responses are tiny, so large windows mean one WINDOW_UPDATE now and then. */
const LOCAL_STREAM_WINDOW = 1 << 20;
const LOCAL_CONNECTION_WINDOW = 1 << 24;
const WRITE_CHUNK = 64 * 1024;
/** Bytes of an error body we keep (Apple's are under 100). */
const MAX_BODY_BYTES = 16 * 1024;
const DRAIN_GRACE_MS = 250;
/** The limit before the server's first SETTINGS frame (a token connection starts at 1, B.10). */
const INITIAL_STREAM_LIMIT = 1;

const CLIENT_PREFACE = Buffer.concat([
  PREFACE,
  frame(
    FrameType.SETTINGS,
    0,
    0,
    settingsPayload([
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, LOCAL_STREAM_WINDOW],
    ]),
  ),
  frame(FrameType.WINDOW_UPDATE, 0, 0, u32(LOCAL_CONNECTION_WINDOW - DEFAULT_WINDOW)),
]);
const SETTINGS_ACK = frame(FrameType.SETTINGS, Flag.ACK, 0);

export class FrameSession {
  readonly #o: FrameSessionOptions;
  readonly #owner: FrameSessionOwner;
  #socket: TLSSocket | undefined;
  readonly #streams = new Map<number, PoolRequest>();
  #nextStreamId = 1;
  #limit = INITIAL_STREAM_LIMIT;
  #accepting = true;
  #connected = false;
  #closed = false;
  /** A connection error was found: nothing more is read, and the socket ends once our GOAWAY is out. */
  #failed = false;
  #goawayReason: string | undefined;
  #closeReason: SessionCloseReason | undefined;
  #error: Error | undefined;
  #connectStartedAt = -1;
  #lastActivity = 0;
  #pingSentAt = -1;
  #connectTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #resolveClosed!: () => void;
  readonly #closedPromise = new Promise<void>((resolve) => (this.#resolveClosed = resolve));

  // Peer settings and flow control.
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #connectionSendWindow = DEFAULT_WINDOW;
  #receivedSinceUpdate = 0;
  /** Streams whose DATA waits for window, in order. */
  #blocked: PoolRequest[] = [];

  // HPACK.
  readonly #encoder = new HpackEncoder();
  readonly #decoder = new HpackDecoder();
  #hStatus = 0;
  #hApnsId: string | undefined;
  #hRetryAfter: string | undefined;
  readonly #sink = (name: string, value: string): void => {
    if (name === ':status') this.#hStatus = Number(value);
    else if (name === 'apns-id') this.#hApnsId = value;
    else if (name === 'retry-after') this.#hRetryAfter = value;
  };

  // Reading: a partial frame carried over between socket reads; a header block split over CONTINUATION.
  #carry: Buffer | undefined;
  #continuationStream = 0;
  #continuationFlags = 0;
  #continuationParts: Buffer[] = [];

  // Writing: one buffer per turn of the event loop.
  #out: Buffer = Buffer.allocUnsafe(WRITE_CHUNK);
  #outLength = 0;
  #flushScheduled = false;

  constructor(options: FrameSessionOptions) {
    this.#o = options;
    this.#owner = options.owner;
    // Always asynchronous, so the owner has registered the session before any event of it arrives.
    this.#connectTimer = setTimeout(() => this.#connect(), options.connectDelayMs);
  }

  /** Takes new streams (not draining, not closed). */
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
    return this.#streams.size;
  }
  /** The server's current SETTINGS_MAX_CONCURRENT_STREAMS (1 until its first SETTINGS frame). */
  get maxConcurrentStreams(): number {
    return this.#limit;
  }
  /** Streams that could be opened right now. */
  get free(): number {
    if (!this.#accepting || !this.#connected) return 0;
    return Math.max(0, this.#limit - this.#streams.size);
  }
  /** The `reason` of a GOAWAY's JSON debug data, if one came. */
  get goawayReason(): string | undefined {
    return this.#goawayReason;
  }

  /** Open a stream for `pending` now. The caller checked `free > 0`. */
  write(pending: PoolRequest): void {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const r = pending.request;
    const bearer = this.#owner.bearerFor(pending);
    pending.bearer = bearer;
    const indexed: [string, string][] = [];
    if (bearer !== undefined) indexed.push(['authorization', bearer]);
    indexed.push(['apns-topic', r.topic], ['apns-push-type', r.pushType]);
    if (r.priority !== undefined)
      indexed.push(['apns-priority', PRIORITY_TEXT[r.priority] ?? String(r.priority)]);
    const prefix = this.#encoder.prefix(this.#o.authority, indexed);
    const path = PATH_PREFIX + r.token;
    let blockLength = prefix.bytes.length + 3 + path.length;
    const expiration = r.expiration === undefined ? undefined : String(r.expiration);
    if (expiration !== undefined) blockLength += literalLength('apns-expiration', expiration);
    if (r.collapseId !== undefined) blockLength += literalLength('apns-collapse-id', r.collapseId) * 3;
    if (r.apnsId !== undefined) blockLength += literalLength('apns-id', r.apnsId);
    const payload = r.payload;
    const payloadLength = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;

    // HEADERS (+ CONTINUATION when the block is over the peer's frame size).
    this.#reserve(FRAME_HEADER_LENGTH * 2 + blockLength + 16);
    const out = this.#out;
    const head = this.#outLength;
    let o = head + FRAME_HEADER_LENGTH;
    o += prefix.bytes.copy(out, o, 0, prefix.split);
    o = writePath(out, o, path);
    o += prefix.bytes.copy(out, o, prefix.split);
    if (r.apnsId !== undefined) o = writeLiteral(out, o, 'apns-id', r.apnsId);
    if (expiration !== undefined) o = writeLiteral(out, o, 'apns-expiration', expiration);
    if (r.collapseId !== undefined) {
      // Collapse ids are UTF-8 (≤ 64 bytes): write the octets.
      o = writeLiteral(out, o, 'apns-collapse-id', Buffer.from(r.collapseId, 'utf8').toString('latin1'));
    }
    const block = o - head - FRAME_HEADER_LENGTH;
    const endStream = payloadLength === 0 ? Flag.END_STREAM : 0;
    if (block <= this.#peerMaxFrameSize) {
      writeFrameHeader(out, head, block, FrameType.HEADERS, Flag.END_HEADERS | endStream, id);
      this.#outLength = o;
    } else {
      this.#outLength = head;
      this.#writeSplitHeaders(Buffer.from(out.subarray(head + FRAME_HEADER_LENGTH, o)), id, endStream);
    }

    pending.streamId = id;
    pending.status = 0;
    pending.apnsId = undefined;
    pending.retryAfter = undefined;
    pending.chunks = undefined;
    pending.dataOffset = 0;
    pending.sendWindow = this.#peerInitialWindow;
    pending.writtenAt = this.#lastActivity = performance.now();
    this.#streams.set(id, pending);
    if (payloadLength > 0) {
      if (this.#blocked.length > 0 || !this.#sendData(pending)) this.#blocked.push(pending);
    }
    this.#scheduleFlush();
    if (this.#nextStreamId > MAX_STREAM_ID) this.retire('closed');
  }

  /** Take no new streams, let open ones finish, then close. */
  retire(reason: SessionCloseReason): void {
    this.#closeReason ??= reason;
    this.#stopAccepting();
    if (this.#closed) return;
    if (this.#connected) this.#closeWhenDrained();
    else this.#destroy(reason, undefined);
  }

  /** Graceful close; resolves once the connection is gone. Idempotent. */
  close(): Promise<void> {
    this.retire('closed');
    return this.#closedPromise;
  }

  /** Drop the connection now. */
  destroy(): Promise<void> {
    this.#destroy('closed', undefined);
    return this.#closedPromise;
  }

  /** Housekeeping, called by the pool's timer: request deadlines, connect timeout, idle PING. */
  tick(now: number): void {
    for (const [id, pending] of this.#streams) {
      if (pending.settled || now < pending.deadline) continue;
      this.#streams.delete(id);
      pending.streamId = 0;
      this.#writeControl(frame(FrameType.RST_STREAM, 0, id, u32(ErrorCode.CANCEL)));
      this.#owner.onFailed(pending, new TransportError('TIMEOUT', 'no answer before the request timeout'));
      this.#afterStreamEnd();
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
      this.#writeControl(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
    }
  }

  // ---- connection -------------------------------------------------------------------------------------------

  #connect(): void {
    this.#connectTimer = undefined;
    if (this.#closed) return;
    this.#connectStartedAt = performance.now();
    let socket: TLSSocket;
    try {
      socket = tlsConnect({
        ...this.#o.tls,
        host: this.#o.host,
        port: this.#o.port,
        ALPNProtocols: ['h2'],
      });
    } catch (error) {
      this.#error = error as Error;
      this.#onClose();
      return;
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('secureConnect', () => this.#onSecureConnect());
    socket.on('session', (ticket: Buffer) => this.#owner.onTlsSession(ticket));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error: Error) => {
      this.#error ??= error;
      this.#closeReason ??= 'error';
    });
    socket.on('close', () => this.#onClose());
  }

  #onSecureConnect(): void {
    const socket = this.#socket!;
    if (this.#closed) return;
    if (socket.alpnProtocol !== 'h2') {
      this.#destroy(
        'error',
        new Error(`the server did not negotiate h2 (ALPN: ${socket.alpnProtocol || 'none'})`),
      );
      return;
    }
    this.#connected = true;
    this.#lastActivity = performance.now();
    socket.write(CLIENT_PREFACE);
    this.#owner.onOpened(this);
    this.#owner.onCapacity(this);
  }

  #stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    this.#owner.onDraining(this);
    this.#closeWhenDrained();
  }

  /** Once draining and idle: GOAWAY, end our side, destroy if the peer keeps its side open. */
  #closeWhenDrained(): void {
    if (this.#accepting || this.#closed || this.#streams.size > 0 || this.#drainTimer !== undefined) return;
    if (this.#socket === undefined || !this.#connected) return;
    this.#goawayAndEnd(goawayPayload(0, ErrorCode.NO_ERROR));
  }

  /**
   * Write GOAWAY and end our side once it is flushed (socket.end() sends what is queued, then FIN), so the
   * peer reads it; a destroy() right after the write may drop it. Destroy if the peer is not gone in
   * DRAIN_GRACE_MS.
   */
  #goawayAndEnd(payload: Buffer): void {
    const socket = this.#socket!;
    this.#writeControl(frame(FrameType.GOAWAY, 0, 0, payload));
    this.#flush();
    socket.end();
    this.#drainTimer = setTimeout(
      () => this.#destroy(this.#closeReason ?? 'closed', undefined),
      DRAIN_GRACE_MS,
    );
    this.#drainTimer.unref();
  }

  #destroy(reason: SessionCloseReason, error: Error | undefined): void {
    this.#closeReason ??= reason;
    if (error !== undefined) this.#error ??= error;
    if (this.#closed) return;
    if (this.#socket !== undefined && !this.#socket.destroyed) {
      this.#socket.destroy();
    } else {
      if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
      this.#onClose();
    }
  }

  /**
   * A connection error (RFC 9113 §5.4.1): stop reading (the rest of this read is not processed), take no new
   * streams, send GOAWAY with the code, then close. Open streams are handed back when the socket closes.
   */
  #connectionError(code: number, message: string): void {
    this.#error ??= new Error(`HTTP/2 connection error ${code}: ${message}`);
    this.#closeReason ??= 'error';
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    this.#carry = undefined;
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed || !this.#connected || this.#drainTimer !== undefined) {
      this.#destroy('error', undefined);
      return;
    }
    if (this.#accepting) {
      this.#accepting = false;
      this.#owner.onDraining(this);
    }
    this.#goawayAndEnd(goawayPayload(0, code, message.slice(0, 200)));
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    const wasAccepting = this.#accepting;
    this.#accepting = false;
    if (wasAccepting) this.#owner.onDraining(this);
    const open = [...this.#streams.values()];
    this.#streams.clear();
    this.#blocked = [];
    for (const pending of open) {
      pending.streamId = 0;
      if (pending.settled) continue;
      // Above a GOAWAY's last stream id: not processed. At or below, or no GOAWAY: unknown; at-least-once
      // delivery re-sends it (same apns-id), bounded by the resend limit.
      pending.cause ??= this.#error;
      this.#owner.onRequeue(pending, true);
    }
    const reason = this.#closeReason ?? (this.#error !== undefined ? 'error' : 'remote-closed');
    this.#owner.onClosed(this, reason, this.#connected, this.#error);
    this.#resolveClosed();
  }

  // ---- writing ----------------------------------------------------------------------------------------------

  #reserve(bytes: number): void {
    if (this.#outLength + bytes <= this.#out.length) return;
    this.#flush();
    if (bytes > this.#out.length) this.#out = Buffer.allocUnsafe(Math.max(bytes, WRITE_CHUNK));
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flushNow);
  }

  readonly #flushNow = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  #flush(): void {
    if (this.#outLength === 0) return;
    const socket = this.#socket;
    // After end() (a GOAWAY went out) nothing more may be written.
    if (socket === undefined || socket.destroyed || socket.writableEnded || !this.#connected) {
      this.#outLength = 0;
      return;
    }
    const chunk = this.#out.subarray(0, this.#outLength);
    this.#out = Buffer.allocUnsafe(this.#out.length);
    this.#outLength = 0;
    socket.write(chunk);
  }

  #writeControl(bytes: Buffer): void {
    this.#reserve(bytes.length);
    bytes.copy(this.#out, this.#outLength);
    this.#outLength += bytes.length;
    this.#scheduleFlush();
  }

  #writeSplitHeaders(block: Buffer, id: number, endStream: number): void {
    const max = this.#peerMaxFrameSize;
    for (let off = 0; off < block.length; off += max) {
      const part = block.subarray(off, Math.min(block.length, off + max));
      const first = off === 0;
      const last = off + max >= block.length;
      const type = first ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) | (first ? endStream : 0);
      this.#reserve(FRAME_HEADER_LENGTH + part.length);
      const o = writeFrameHeader(this.#out, this.#outLength, part.length, type, flags, id);
      part.copy(this.#out, o);
      this.#outLength = o + part.length;
    }
  }

  /** Send as much of the payload as the windows allow; true when all of it went. */
  #sendData(pending: PoolRequest): boolean {
    const payload = pending.request.payload;
    const total = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    while (pending.dataOffset < total) {
      const room = Math.min(this.#connectionSendWindow, pending.sendWindow, this.#peerMaxFrameSize);
      if (room <= 0) {
        return false;
      }
      const n = Math.min(room, total - pending.dataOffset);
      const last = pending.dataOffset + n === total;
      this.#reserve(FRAME_HEADER_LENGTH + n);
      const o = writeFrameHeader(
        this.#out,
        this.#outLength,
        n,
        FrameType.DATA,
        last ? Flag.END_STREAM : 0,
        pending.streamId,
      );
      if (typeof payload === 'string') {
        if (pending.dataOffset === 0 && last) this.#out.write(payload, o, n, 'utf8');
        else Buffer.from(payload).copy(this.#out, o, pending.dataOffset, pending.dataOffset + n);
      } else {
        payload.copy(this.#out, o, pending.dataOffset, pending.dataOffset + n);
      }
      this.#outLength = o + n;
      pending.dataOffset += n;
      pending.sendWindow -= n;
      this.#connectionSendWindow -= n;
    }
    return true;
  }

  #sendBlocked(): void {
    if (this.#blocked.length === 0) return;
    let i = 0;
    for (; i < this.#blocked.length; i++) {
      const pending = this.#blocked[i]!;
      if (pending.streamId === 0 || this.#streams.get(pending.streamId) !== pending) continue;
      if (!this.#sendData(pending)) break;
    }
    this.#blocked = this.#blocked.slice(i);
    this.#scheduleFlush();
  }

  // ---- reading ----------------------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    this.#lastActivity = performance.now();
    let buf = chunk;
    if (this.#carry !== undefined) {
      buf = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= FRAME_HEADER_LENGTH && !this.#closed && !this.#failed) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (length > DEFAULT_MAX_FRAME_SIZE) {
        this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes > our MAX_FRAME_SIZE`);
        return;
      }
      if (end - pos < FRAME_HEADER_LENGTH + length) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const start = pos + FRAME_HEADER_LENGTH;
      pos = start + length;
      this.#onFrame(buf, type, flags, streamId, start, pos);
    }
    if (pos < end && !this.#closed && !this.#failed) this.#carry = buf.subarray(pos);
  }

  #onFrame(buf: Buffer, type: number, flags: number, streamId: number, start: number, end: number): void {
    if (this.#continuationStream !== 0 && type !== FrameType.CONTINUATION) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
      return;
    }
    switch (type) {
      case FrameType.DATA:
        this.#onDataFrame(buf, flags, streamId, start, end);
        return;
      case FrameType.HEADERS:
        this.#onHeadersFrame(buf, flags, streamId, start, end);
        return;
      case FrameType.PRIORITY:
        return;
      case FrameType.RST_STREAM:
        if (streamId === 0 || end - start !== 4) {
          this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'bad RST_STREAM');
          return;
        }
        this.#onReset(streamId, buf.readUInt32BE(start));
        return;
      case FrameType.SETTINGS:
        this.#onSettings(buf, flags, streamId, start, end);
        return;
      case FrameType.PUSH_PROMISE:
        this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
        return;
      case FrameType.PING:
        if (streamId !== 0 || end - start !== 8) {
          this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'bad PING');
          return;
        }
        if (flags & Flag.ACK) this.#pingSentAt = -1;
        else this.#writeControl(frame(FrameType.PING, Flag.ACK, 0, Buffer.from(buf.subarray(start, end))));
        return;
      case FrameType.GOAWAY:
        this.#onGoaway(buf, streamId, start, end);
        return;
      case FrameType.WINDOW_UPDATE:
        this.#onWindowUpdate(buf, streamId, start, end);
        return;
      case FrameType.CONTINUATION:
        this.#onContinuation(buf, flags, streamId, start, end);
        return;
      default:
        // Unknown frame types are ignored (RFC 9113 4.1).
        return;
    }
  }

  #onDataFrame(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (streamId === 0) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
      return;
    }
    // Flow control counts the whole payload, padding included.
    this.#receivedSinceUpdate += end - start;
    if (this.#receivedSinceUpdate >= LOCAL_CONNECTION_WINDOW / 2) {
      this.#writeControl(frame(FrameType.WINDOW_UPDATE, 0, 0, u32(this.#receivedSinceUpdate)));
      this.#receivedSinceUpdate = 0;
    }
    let dataStart = start;
    let dataEnd = end;
    if (flags & Flag.PADDED) {
      const pad = buf[start]!;
      dataStart = start + 1;
      dataEnd = end - pad;
      if (dataEnd < dataStart) {
        this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than the frame');
        return;
      }
    }
    const pending = this.#streams.get(streamId);
    if (pending === undefined) return;
    if (pending.status === 0) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, `DATA before HEADERS on stream ${streamId}`);
      return;
    }
    if (pending.chunks !== undefined && dataEnd > dataStart) {
      const kept = pending.chunks.reduce((n, c) => n + c.length, 0);
      if (kept < MAX_BODY_BYTES) pending.chunks.push(Buffer.from(buf.subarray(dataStart, dataEnd)));
    }
    if (flags & Flag.END_STREAM) this.#complete(streamId, pending);
  }

  #onHeadersFrame(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (streamId === 0) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
      return;
    }
    let blockStart = start;
    let blockEnd = end;
    if (flags & Flag.PADDED) {
      const pad = buf[blockStart++]!;
      blockEnd -= pad;
    }
    if (flags & Flag.PRIORITY) blockStart += 5;
    if (blockEnd < blockStart) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
      return;
    }
    if ((flags & Flag.END_HEADERS) === 0) {
      this.#continuationStream = streamId;
      this.#continuationFlags = flags;
      this.#continuationParts = [Buffer.from(buf.subarray(blockStart, blockEnd))];
      return;
    }
    this.#onHeaderBlock(streamId, flags, buf, blockStart, blockEnd);
  }

  #onContinuation(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (this.#continuationStream === 0 || streamId !== this.#continuationStream) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
      return;
    }
    this.#continuationParts.push(Buffer.from(buf.subarray(start, end)));
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.#continuationParts);
    const headerFlags = this.#continuationFlags;
    this.#continuationStream = 0;
    this.#continuationParts = [];
    this.#onHeaderBlock(streamId, headerFlags, block, 0, block.length);
  }

  #onHeaderBlock(streamId: number, flags: number, buf: Buffer, start: number, end: number): void {
    this.#hStatus = 0;
    this.#hApnsId = undefined;
    this.#hRetryAfter = undefined;
    try {
      // Always decoded, even for a stream we forgot: the dynamic table must stay in step with the server's.
      this.#decoder.decode(buf, start, end, this.#sink);
    } catch (error) {
      if (error instanceof HpackError) {
        this.#connectionError(ErrorCode.COMPRESSION_ERROR, error.message);
        return;
      }
      throw error;
    }
    const pending = this.#streams.get(streamId);
    if (pending === undefined) return;
    if (pending.status === 0) {
      if (this.#hStatus >= 100 && this.#hStatus < 200) return; // informational; the final answer follows
      if (this.#hStatus === 0) {
        this.#connectionError(ErrorCode.PROTOCOL_ERROR, `response on stream ${streamId} without :status`);
        return;
      }
      pending.status = this.#hStatus;
      pending.apnsId = this.#hApnsId;
      pending.retryAfter = this.#hRetryAfter;
      if (this.#hStatus !== 200) pending.chunks = [];
    }
    // A second block is trailers: nothing in it matters to us.
    if (flags & Flag.END_STREAM) this.#complete(streamId, pending);
  }

  #complete(streamId: number, pending: PoolRequest): void {
    this.#streams.delete(streamId);
    pending.streamId = 0;
    if (!pending.settled) {
      const chunks = pending.chunks;
      pending.chunks = undefined;
      const body =
        chunks === undefined ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.#owner.onAnswer(this, pending, body);
    }
    this.#afterStreamEnd();
  }

  #afterStreamEnd(): void {
    if (this.#accepting) this.#owner.onCapacity(this);
    else this.#closeWhenDrained();
  }

  #onReset(streamId: number, code: number): void {
    const pending = this.#streams.get(streamId);
    if (pending === undefined) return;
    this.#streams.delete(streamId);
    pending.streamId = 0;
    if (!pending.settled) {
      if (code === ErrorCode.REFUSED_STREAM) {
        // Never processed (RFC 9113 8.7), e.g. sent before a lowered stream limit reached us: safe to send again
        // as often as it takes (the request deadline bounds it), so it does not count towards the resend limit.
        this.#owner.onRequeue(pending, false);
      } else {
        this.#owner.onFailed(
          pending,
          new TransportError('STREAM_RESET', `stream ${streamId} got no answer: RST_STREAM code ${code}`),
        );
      }
    }
    this.#afterStreamEnd();
  }

  #onSettings(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (streamId !== 0) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
      return;
    }
    if (flags & Flag.ACK) {
      if (end !== start) this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if ((end - start) % 6 !== 0) {
      this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS payload not a multiple of 6');
      return;
    }
    // The first SETTINGS frame replaces our assumption of one stream; without the setting there is no limit.
    let limit = this.#sawSettings ? this.#limit : MAX_WINDOW;
    for (let p = start; p < end; p += 6) {
      const id = buf.readUInt16BE(p);
      const value = buf.readUInt32BE(p + 2);
      switch (id) {
        case Setting.HEADER_TABLE_SIZE:
          this.#encoder.setPeerMaxTableSize(value);
          break;
        case Setting.ENABLE_PUSH:
          if (value > 1) {
            this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH must be 0 or 1');
            return;
          }
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          limit = value;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) {
            this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE above 2^31-1');
            return;
          }
          const delta = value - this.#peerInitialWindow;
          this.#peerInitialWindow = value;
          for (const pending of this.#streams.values()) pending.sendWindow += delta;
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) {
            this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
            return;
          }
          this.#peerMaxFrameSize = value;
          break;
        default:
          // MAX_HEADER_LIST_SIZE is advisory (our blocks are far below any sane value); unknown ids are ignored.
          break;
      }
    }
    this.#sawSettings = true;
    this.#limit = limit;
    this.#writeControl(SETTINGS_ACK);
    this.#sendBlocked();
    if (this.#accepting) this.#owner.onCapacity(this);
  }

  #sawSettings = false;

  #onGoaway(buf: Buffer, streamId: number, start: number, end: number): void {
    if (streamId !== 0 || end - start < 8) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'bad GOAWAY');
      return;
    }
    const lastStreamId = buf.readUInt32BE(start) & 0x7fffffff;
    const code = buf.readUInt32BE(start + 4);
    this.#closeReason ??= code === ErrorCode.NO_ERROR ? 'goaway' : 'error';
    if (end - start > 8) {
      try {
        const parsed = JSON.parse(buf.toString('utf8', start + 8, end)) as { reason?: unknown };
        if (typeof parsed.reason === 'string') this.#goawayReason = parsed.reason;
      } catch {
        // Debug data is free text; only the JSON form carries a reason.
      }
    }
    if (code !== ErrorCode.NO_ERROR) {
      this.#error ??= new Error(`GOAWAY code ${code}${this.#goawayReason ? ` (${this.#goawayReason})` : ''}`);
    }
    // Streams above last-stream-id were not processed: hand them back, after this session stopped taking new
    // ones, so they go to another connection.
    const unprocessed: PoolRequest[] = [];
    for (const [id, pending] of this.#streams) {
      if (id <= lastStreamId) continue;
      this.#streams.delete(id);
      pending.streamId = 0;
      unprocessed.push(pending);
    }
    this.#stopAccepting();
    for (const pending of unprocessed) if (!pending.settled) this.#owner.onRequeue(pending, true);
    // A GOAWAY with an error code ends the connection in error (RFC 9113 6.8): no answer will come for the
    // streams at or below last-stream-id, so close now and let at-least-once re-send them, rather than
    // leaving them to time out on a dead session.
    if (code !== ErrorCode.NO_ERROR) this.#destroy('error', this.#error);
  }

  #onWindowUpdate(buf: Buffer, streamId: number, start: number, end: number): void {
    if (end - start !== 4) {
      this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
      return;
    }
    const increment = buf.readUInt32BE(start) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) {
        this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
        return;
      }
      this.#connectionSendWindow += increment;
      if (this.#connectionSendWindow > MAX_WINDOW) {
        this.#connectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31-1');
        return;
      }
    } else {
      const pending = this.#streams.get(streamId);
      if (pending === undefined) return;
      pending.sendWindow += increment;
    }
    this.#sendBlocked();
  }
}

const PRIORITY_TEXT: Record<number, string> = { 10: '10', 5: '5', 1: '1' };
