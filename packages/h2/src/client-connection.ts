/**
 * One HTTP/2 client connection (RFC 9113) that writes and reads frames itself: the state machine. The owner
 * hands it requests (a stream object, a {@link HeaderBlock} it encodes itself, a body) and hears back each
 * stream's status, headers and body, or its reset, loss or timeout ({@link ClientConnectionHandler}).
 *
 * Parts: the socket and its timers (connection-life.ts), frames out of the bytes read (frame-reader.ts), the
 * streams and their responses (client-streams.ts), windows (flow-control.ts), SETTINGS (connection-settings.ts),
 * batched writes (write-batch.ts). Here: which frame goes where, PING, GOAWAY, and when to stop taking streams.
 *
 * GOAWAY from the peer: no new stream; streams above its last-stream-id are handed back as not processed, the
 * rest may finish; with an error code the connection ends at once. A protocol violation by the peer is a
 * connection error: nothing more is read, and our GOAWAY with the matching code goes out before the socket ends.
 */
import { ClientStreams, DEFAULT_MAX_BODY_BYTES } from './client-streams.js';
import type {
  ClientConnectionHandler,
  ClientStream,
  ConnectionCloseReason,
  HeaderBlock,
} from './connection-handler.js';
import { ConnectionLife, type ConnectionLifeOptions } from './connection-life.js';
import {
  applyPeerSettings,
  CLIENT_PREFACE,
  type PeerSettingsTarget,
  SETTINGS_ACK,
} from './connection-settings.js';
import { FlowControl } from './flow-control.js';
import { FrameReader, type FrameSink } from './frame-reader.js';
import { ErrorCode, Flag, FrameType, frame, goawayPayload, MAX_WINDOW, u32 } from './frames.js';
import { HpackEncoder } from './hpack/hpack-encoder.js';
import { WriteBatch } from './write-batch.js';

/** What a connection needs: where and how to connect (the socket's options), its owner, a body size cap. */
export interface ClientConnectionOptions<S extends ClientStream, R extends string = never>
  extends ConnectionLifeOptions {
  readonly handler: ClientConnectionHandler<S, R>;
  /** @defaultValue {@link DEFAULT_MAX_BODY_BYTES} (16 KiB) */
  readonly maxBodyBytes?: number | undefined;
}

/** Streams before the server's first SETTINGS frame: RFC 9113 §6.5.2 sets no limit, but some servers start at 1. */
const INITIAL_STREAM_LIMIT = 1;

/**
 * Silence from the peer, while streams wait on it, after which the connection is checked with a PING. APNs
 * answers in milliseconds: this long without a byte while requests are open means the peer is likely gone,
 * and waiting for the first request timeout (30 s) or the idle check (60 s) held whatever was sent there.
 */
export const BUSY_SILENCE_MS = 5_000;

export class ClientConnection<S extends ClientStream, R extends string = never> {
  readonly #handler: ClientConnectionHandler<S, R>;
  readonly #batch = new WriteBatch();
  readonly #life: ConnectionLife<R>;
  readonly #streams: ClientStreams<S, R>;
  readonly #flow: FlowControl<S>;
  readonly #reader = new FrameReader(this.#frameSink(), true);
  readonly #encoder = new HpackEncoder();
  #limit = INITIAL_STREAM_LIMIT;
  #sawSettings = false;
  #accepting = true;
  /** TLS is up (a copy of the socket's state, read on every request by `free`). */
  #connected = false;
  /** A connection error was found: nothing more is read or written but our GOAWAY. */
  #failed = false;
  /** When our SETTINGS left and no ACK has come yet; -1 once acknowledged (RFC 9113 §6.5.3). */
  #settingsSentAt = -1;
  /** How long the peer has to acknowledge our SETTINGS: the same bound as a PING's answer. */
  readonly #settingsTimeoutMs: number;

  constructor(options: ClientConnectionOptions<S, R>) {
    this.#handler = options.handler;
    this.#settingsTimeoutMs = options.pingTimeoutMs;
    const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#streams = new ClientStreams(this, this.#handler, maxBody, () => this.#afterStreamEnd());
    this.#flow = new FlowControl(this.#batch, this.#streams.map);
    this.#life = new ConnectionLife<R>(options, this.#batch, {
      onSecure: (socket) => {
        this.#connected = true;
        socket.write(CLIENT_PREFACE);
        this.#settingsSentAt = performance.now();
        this.#handler.onOpened(this);
        this.#handler.onCapacity(this);
      },
      onTicket: (ticket) => this.#handler.onTlsSession(ticket),
      onData: (chunk) => this.#reader.push(chunk),
      onClose: () => this.#onClose(),
    });
  }

  /** Takes new streams (not draining, not closed). */
  get accepting(): boolean {
    return this.#accepting;
  }
  get connected(): boolean {
    return this.#life.connected;
  }
  get closed(): boolean {
    return this.#life.closed;
  }
  /** Streams open now. */
  get inFlight(): number {
    return this.#streams.size;
  }
  /** The server's first SETTINGS frame arrived: `maxConcurrentStreams` is its own, no longer the assumed 1. */
  get settingsReceived(): boolean {
    return this.#sawSettings;
  }
  /** The server's current SETTINGS_MAX_CONCURRENT_STREAMS (1 until its first SETTINGS frame). */
  get maxConcurrentStreams(): number {
    return this.#limit;
  }
  /** Streams that could be opened right now. */
  get free(): number {
    if (!this.#accepting || !this.#connected) return 0;
    return Math.max(0, this.#limit - this.#streams.map.size);
  }
  /** The HPACK encoder modelling this connection's peer: encode this connection's header blocks with it. */
  get encoder(): HpackEncoder {
    return this.#encoder;
  }

  /** Open a stream for `stream` now: HEADERS from `headers`, then its body. The caller checked `free > 0`. */
  request(stream: S, headers: HeaderBlock): void {
    const now = performance.now();
    const id = this.#streams.open(stream, this.#flow.peerInitialWindow, now);
    const empty = stream.body.length === 0;
    this.#batch.headers(id, empty ? Flag.END_STREAM : 0, headers, this.#flow.maxFrameSize);
    if (!empty) this.#flow.sendBody(stream);
    this.#batch.schedule();
    if (this.#streams.exhausted) this.retire('closed');
  }

  /** Take no new streams, let open ones finish, then close. */
  retire(reason: ConnectionCloseReason | R): void {
    this.#life.note(reason);
    this.#stopAccepting();
    if (this.#life.closed) return;
    if (this.#life.connected) this.#closeWhenDrained();
    else this.#life.destroy(reason);
  }

  /** Graceful close; resolves once the connection is gone. Idempotent. */
  close(): Promise<void> {
    this.retire('closed');
    return this.#life.whenClosed;
  }

  /** Drop the connection now. */
  destroy(): Promise<void> {
    this.#life.destroy('closed');
    return this.#life.whenClosed;
  }

  /** Housekeeping, called by the owner's timer: stream deadlines, connect timeout, idle PING. */
  tick(now: number): void {
    let expired = false;
    this.#streams.expire(now, (id) => {
      expired = true;
      this.#batch.control(frame(FrameType.RST_STREAM, 0, id, u32(ErrorCode.CANCEL)));
    });
    // A request without an answer in time, or requests open and nothing heard for BUSY_SILENCE_MS: check
    // the peer is there now, not after pingIntervalMs.
    if (expired || (this.#streams.size > 0 && this.#life.silentForMs(now) >= BUSY_SILENCE_MS))
      this.#life.probe(now);
    this.#life.tick(now);
    // RFC 9113 §6.5.3: a peer that never acknowledges our SETTINGS gets SETTINGS_TIMEOUT.
    if (this.#settingsSentAt >= 0 && performance.now() - this.#settingsSentAt >= this.#settingsTimeoutMs) {
      this.#settingsSentAt = -1;
      this.#connectionError(
        ErrorCode.SETTINGS_TIMEOUT,
        `no SETTINGS ACK within ${this.#settingsTimeoutMs} ms`,
      );
    }
  }

  #afterStreamEnd(): void {
    if (this.#accepting) this.#handler.onCapacity(this);
    else this.#closeWhenDrained();
  }

  #stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    this.#handler.onDraining(this);
    this.#closeWhenDrained();
  }

  /** Once draining and idle: GOAWAY NO_ERROR, then end. */
  #closeWhenDrained(): void {
    if (this.#accepting || this.#failed || this.#streams.size > 0) return;
    this.#life.end(frame(FrameType.GOAWAY, 0, 0, goawayPayload(0, ErrorCode.NO_ERROR)));
  }

  /**
   * A connection error (RFC 9113 §5.4.1): read nothing more (not even the rest of this read), take no new
   * streams, send GOAWAY with the code, then end. Open streams are handed back when the socket closes.
   */
  #connectionError(code: number, message: string): void {
    this.#reader.stop();
    this.#life.note('error', new Error(`HTTP/2 connection error ${code}: ${message}`));
    if (this.#failed || this.#life.closed) return;
    this.#failed = true;
    if (!this.#life.connected || this.#life.ending) {
      this.#life.destroy('error');
      return;
    }
    if (this.#accepting) {
      this.#accepting = false;
      this.#handler.onDraining(this);
    }
    this.#life.end(frame(FrameType.GOAWAY, 0, 0, goawayPayload(0, code, message.slice(0, 200))));
  }

  #onClose(): void {
    this.#reader.stop();
    const wasAccepting = this.#accepting;
    this.#accepting = false;
    if (wasAccepting) this.#handler.onDraining(this);
    this.#flow.clear();
    // Streams above a GOAWAY's last-stream-id went back already; whether the peer processed the rest is
    // unknown, and the owner decides whether to send them again.
    this.#streams.loseAll(this.#life.error);
    this.#handler.onClosed(this, this.#life.reason, this.#life.connected, this.#life.error);
  }

  // ---- frames -----------------------------------------------------------------------------------------------

  #frameSink(): FrameSink {
    return {
      onData: (streamId, flags, flowLength, buf, start, end) => {
        this.#flow.received(flowLength);
        const error = this.#streams.onData(streamId, flags, buf, start, end);
        if (error !== undefined) this.#connectionError(error.code, error.message);
      },
      onHeaderBlock: (streamId, flags, buf, start, end) => {
        const error = this.#streams.onHeaderBlock(streamId, flags, buf, start, end);
        if (error !== undefined) this.#connectionError(error.code, error.message);
      },
      onFrame: (type, flags, streamId, buf, start, end) =>
        this.#onFrame(type, flags, streamId, buf, start, end),
      onFramingError: (code, message) => this.#connectionError(code, message),
    };
  }

  #onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    const length = end - start;
    switch (type) {
      case FrameType.RST_STREAM:
        // On stream 0: PROTOCOL_ERROR; a length other than 4: FRAME_SIZE_ERROR (RFC 9113 §6.4).
        if (streamId === 0) this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        else if (length !== 4) this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM not 4 bytes');
        else {
          const error = this.#streams.onReset(streamId, buf.readUInt32BE(start));
          if (error !== undefined) this.#connectionError(error.code, error.message);
        }
        return;
      case FrameType.SETTINGS:
        this.#onSettings(flags, streamId, buf, start, end);
        return;
      case FrameType.PUSH_PROMISE:
        this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
        return;
      case FrameType.PING:
        // A PING is on stream 0 (else PROTOCOL_ERROR) and 8 bytes (else FRAME_SIZE_ERROR, RFC 9113 §6.7); an
        // ACK answers ours, anything else gets one.
        if (streamId !== 0) this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        else if (length !== 8) this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING not 8 bytes');
        else if (flags & Flag.ACK) this.#life.pingAcked();
        else this.#batch.control(frame(FrameType.PING, Flag.ACK, 0, Buffer.from(buf.subarray(start, end))));
        return;
      case FrameType.GOAWAY:
        this.#onGoaway(buf, streamId, start, end);
        return;
      case FrameType.WINDOW_UPDATE: {
        if (length !== 4) {
          this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
          return;
        }
        const increment = buf.readUInt32BE(start) & 0x7fffffff;
        const error =
          (streamId !== 0 && !this.#streams.map.has(streamId)
            ? this.#streams.untracked(streamId, 'WINDOW_UPDATE')
            : undefined) ?? this.#flow.onWindowUpdate(streamId, increment, this.#resetStream);
        if (error !== undefined) this.#connectionError(error.code, error.message);
        return;
      }
      default:
        // PRIORITY is deprecated and ignored (RFC 9113 §5.3.2); unknown frame types are ignored (§4.1).
        return;
    }
  }

  /** A stream error (RFC 9113 §5.4.2): RST_STREAM with `code`, and the owner hears of the reset. */
  readonly #resetStream = (streamId: number, code: number): void => {
    this.#batch.control(frame(FrameType.RST_STREAM, 0, streamId, u32(code)));
    this.#streams.onReset(streamId, code);
  };

  #onSettings(flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    const ack = (flags & Flag.ACK) !== 0;
    // The first SETTINGS frame replaces our assumption of one stream; without the setting there is no limit.
    if (!ack && !this.#sawSettings && streamId === 0) this.#limit = MAX_WINDOW;
    const error = applyPeerSettings(flags, streamId, buf, start, end, this.#settingsTarget);
    if (error !== undefined) {
      this.#connectionError(error.code, error.message);
      return;
    }
    if (ack) {
      this.#settingsSentAt = -1;
      return;
    }
    this.#sawSettings = true;
    this.#batch.control(SETTINGS_ACK);
    this.#flow.resume();
    if (this.#accepting) this.#handler.onCapacity(this);
  }

  readonly #settingsTarget: PeerSettingsTarget = {
    setHeaderTableSize: (value) => this.#encoder.setPeerMaxTableSize(value),
    setMaxConcurrentStreams: (value) => {
      this.#limit = value;
    },
    setInitialWindowSize: (value) => this.#flow.setPeerInitialWindow(value),
    setMaxFrameSize: (value) => {
      this.#flow.maxFrameSize = value;
    },
  };

  #onGoaway(buf: Buffer, streamId: number, start: number, end: number): void {
    // On a stream: PROTOCOL_ERROR (RFC 9113 §6.8); too short for its fields: FRAME_SIZE_ERROR (§4.2).
    if (streamId !== 0) {
      this.#connectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
      return;
    }
    if (end - start < 8) {
      this.#connectionError(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY shorter than 8 bytes');
      return;
    }
    const lastStreamId = buf.readUInt32BE(start) & 0x7fffffff;
    const code = buf.readUInt32BE(start + 4);
    if (code === ErrorCode.NO_ERROR) {
      this.#life.note('goaway');
    } else {
      const debug = buf.toString('utf8', start + 8, Math.min(end, start + 8 + 200));
      this.#life.note('error', new Error(`GOAWAY code ${code}${debug ? ` (${debug})` : ''}`));
    }
    // Streams above last-stream-id were not processed (RFC 9113 §6.8): hand them back once this connection
    // takes no new ones, so they go to another.
    const unprocessed = this.#streams.takeAbove(lastStreamId);
    this.#stopAccepting();
    for (const stream of unprocessed) if (!stream.settled) this.#handler.onNotProcessed(stream);
    // A GOAWAY with an error code ends the connection in error (§5.4.1): no answer will come for the streams
    // at or below last-stream-id either, so close now rather than leave them to time out.
    if (code !== ErrorCode.NO_ERROR) this.#life.destroy('error');
  }
}
