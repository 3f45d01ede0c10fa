/**
 * Flow control of one client connection (RFC 9113 §5.2, §6.9).
 *
 * Sending: a body goes out in DATA frames no larger than the connection window, the stream's window and the
 * peer's SETTINGS_MAX_FRAME_SIZE allow; what does not fit waits, in order, for WINDOW_UPDATE or a larger
 * SETTINGS_INITIAL_WINDOW_SIZE (whose change applies to every open stream, §6.9.2).
 *
 * Receiving: responses are small, so our windows are large (advertised in the preface) and the connection window
 * is refilled with one WINDOW_UPDATE each time half of it was used. Stream windows are never refilled: 1 MiB
 * is far more than any one response we read.
 */
import type { ClientStream } from './connection-handler.js';
import {
  type ConnectionError,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  FrameType,
  frame,
  MAX_WINDOW,
  u32,
  writeFrameHeader,
} from './frames.js';
import type { WriteBatch } from './write-batch.js';

/** Our SETTINGS_INITIAL_WINDOW_SIZE: every stream may receive this much. */
export const LOCAL_STREAM_WINDOW = 1 << 20;
/** Our connection receive window, raised from the default by a WINDOW_UPDATE in the preface. */
export const LOCAL_CONNECTION_WINDOW = 1 << 24;

export class FlowControl<S extends ClientStream> {
  readonly #batch: WriteBatch;
  /** The connection's open streams, to skip blocked streams that ended meanwhile. */
  readonly #streams: ReadonlyMap<number, S>;
  #connectionWindow = DEFAULT_WINDOW;
  #peerInitialWindow = DEFAULT_WINDOW;
  #receivedSinceUpdate = 0;
  /** Streams whose body waits for window, oldest first. */
  #blocked: S[] = [];
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;

  constructor(batch: WriteBatch, streams: ReadonlyMap<number, S>) {
    this.#batch = batch;
    this.#streams = streams;
  }

  /** The send window a new stream starts with (the peer's SETTINGS_INITIAL_WINDOW_SIZE). */
  get peerInitialWindow(): number {
    return this.#peerInitialWindow;
  }

  /**
   * Send `stream`'s body, all of it if the windows allow; the rest waits. A stream blocked on its own window
   * does not hold back others (flow control is per stream, RFC 9113 §5.2.1): a new body goes out at once if
   * the connection window has room, even with other bodies waiting.
   */
  sendBody(stream: S): void {
    if (!this.#send(stream)) this.#blocked.push(stream);
  }

  /** Send what waited, oldest first, as far as the windows now allow; a blocked stream skips, not stops. */
  resume(): void {
    if (this.#blocked.length === 0) return;
    const still: S[] = [];
    for (const stream of this.#blocked) {
      if (stream.streamId === 0 || this.#streams.get(stream.streamId) !== stream) continue;
      if (!this.#send(stream)) still.push(stream);
    }
    this.#blocked = still;
    this.#batch.schedule();
  }

  /**
   * WINDOW_UPDATE; returns the connection error it causes, if any. A bad one on a stream is a stream error
   * (`resetStream`): an increment of 0 is PROTOCOL_ERROR (RFC 9113 §6.9), a window past 2^31-1 is
   * FLOW_CONTROL_ERROR (§6.9.1).
   */
  onWindowUpdate(
    streamId: number,
    increment: number,
    resetStream: (streamId: number, code: number) => void,
  ): ConnectionError | undefined {
    if (streamId === 0) {
      if (increment === 0) return { code: ErrorCode.PROTOCOL_ERROR, message: 'WINDOW_UPDATE of 0' };
      this.#connectionWindow += increment;
      if (this.#connectionWindow > MAX_WINDOW) {
        return { code: ErrorCode.FLOW_CONTROL_ERROR, message: 'connection window above 2^31-1' };
      }
    } else {
      const stream = this.#streams.get(streamId);
      if (stream === undefined) return undefined;
      if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW) {
        resetStream(streamId, increment === 0 ? ErrorCode.PROTOCOL_ERROR : ErrorCode.FLOW_CONTROL_ERROR);
        return undefined;
      }
      stream.sendWindow += increment;
    }
    this.resume();
    return undefined;
  }

  /**
   * SETTINGS_INITIAL_WINDOW_SIZE: every open stream's window moves by the difference (RFC 9113 §6.9.2); one
   * taken past 2^31-1 is a connection error (FLOW_CONTROL_ERROR, §6.9.2), returned.
   */
  setPeerInitialWindow(value: number): ConnectionError | undefined {
    const delta = value - this.#peerInitialWindow;
    this.#peerInitialWindow = value;
    let overflow = false;
    for (const stream of this.#streams.values()) {
      stream.sendWindow += delta;
      if (stream.sendWindow > MAX_WINDOW) overflow = true;
    }
    if (overflow) return { code: ErrorCode.FLOW_CONTROL_ERROR, message: 'a stream window above 2^31-1' };
    return undefined;
  }

  /**
   * `bytes` of DATA payload arrived (padding included, RFC 9113 §6.9.1): batch a connection WINDOW_UPDATE
   * once half our window is used.
   */
  received(bytes: number): void {
    this.#receivedSinceUpdate += bytes;
    if (this.#receivedSinceUpdate < LOCAL_CONNECTION_WINDOW / 2) return;
    this.#batch.control(frame(FrameType.WINDOW_UPDATE, 0, 0, u32(this.#receivedSinceUpdate)));
    this.#receivedSinceUpdate = 0;
  }

  /** The connection closed: nothing waits any more. */
  clear(): void {
    this.#blocked = [];
  }

  /** Write as much of the body as the windows allow; true when all of it went. */
  #send(stream: S): boolean {
    const body = stream.body;
    const total = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const batch = this.#batch;
    while (stream.dataOffset < total) {
      const room = Math.min(this.#connectionWindow, stream.sendWindow, this.maxFrameSize);
      if (room <= 0) return false;
      const n = Math.min(room, total - stream.dataOffset);
      const last = stream.dataOffset + n === total;
      batch.reserve(FRAME_HEADER_LENGTH + n);
      const flags = last ? Flag.END_STREAM : 0;
      const o = writeFrameHeader(batch.out, batch.length, n, FrameType.DATA, flags, stream.streamId);
      if (typeof body === 'string') {
        if (stream.dataOffset === 0 && last) batch.out.write(body, o, n, 'utf8');
        else Buffer.from(body).copy(batch.out, o, stream.dataOffset, stream.dataOffset + n);
      } else {
        body.copy(batch.out, o, stream.dataOffset, stream.dataOffset + n);
      }
      batch.length = o + n;
      stream.dataOffset += n;
      stream.sendWindow -= n;
      this.#connectionWindow -= n;
    }
    return true;
  }
}
