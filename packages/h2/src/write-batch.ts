/**
 * The outgoing bytes of one connection, batched: every frame written during one turn of the event loop goes out
 * in one socket write (flushed from setImmediate), so a burst of requests costs one write, not one per frame.
 * Frames are written in place: `reserve` room, write at `out[length]`, advance `length`.
 */
import type { Writable } from 'node:stream';
import type { HeaderBlock } from './connection-handler.js';
import { Flag, FRAME_HEADER_LENGTH, FrameType, writeFrameHeader } from './frames.js';

const WRITE_CHUNK = 64 * 1024;

export class WriteBatch {
  out: Buffer = Buffer.allocUnsafe(WRITE_CHUNK);
  length = 0;
  #socket: Writable | undefined;
  #scheduled = false;

  /** Where flushes go from now on; undefined drops them (not connected yet, or closed). */
  attach(socket: Writable | undefined): void {
    this.#socket = socket;
  }

  /** Make room for `bytes` more at `out[length]`, flushing what is batched if it does not fit. */
  reserve(bytes: number): void {
    if (this.length + bytes <= this.out.length) return;
    this.flush();
    if (bytes > this.out.length) this.out = Buffer.allocUnsafe(Math.max(bytes, WRITE_CHUNK));
  }

  /** Flush at the end of this turn of the event loop. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flushNow);
  }

  readonly #flushNow = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** Write what is batched now, in one socket write. */
  flush(): void {
    if (this.length === 0) return;
    const socket = this.#socket;
    // After end() (a GOAWAY went out) nothing more may be written.
    if (socket === undefined || socket.destroyed || socket.writableEnded) {
      this.length = 0;
      return;
    }
    const chunk = this.out.subarray(0, this.length);
    this.out = Buffer.allocUnsafe(this.out.length);
    this.length = 0;
    socket.write(chunk);
  }

  /** Batch a complete frame (SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY). */
  control(frame: Buffer): void {
    this.reserve(frame.length);
    frame.copy(this.out, this.length);
    this.length += frame.length;
    this.schedule();
  }

  /**
   * Batch a request's HEADERS: the block is encoded in place, then framed as one HEADERS frame, or as HEADERS and
   * CONTINUATION frames when it is over `maxFrameSize` (RFC 9113 §6.10). `endStream` is END_STREAM or 0.
   */
  headers(streamId: number, endStream: number, block: HeaderBlock, maxFrameSize: number): void {
    this.reserve(FRAME_HEADER_LENGTH * 2 + block.maxLength + 16);
    const head = this.length;
    const end = block.writeTo(this.out, head + FRAME_HEADER_LENGTH);
    const size = end - head - FRAME_HEADER_LENGTH;
    if (size <= maxFrameSize) {
      writeFrameHeader(this.out, head, size, FrameType.HEADERS, Flag.END_HEADERS | endStream, streamId);
      this.length = end;
      return;
    }
    this.length = head;
    const whole = Buffer.from(this.out.subarray(head + FRAME_HEADER_LENGTH, end));
    for (let off = 0; off < whole.length; off += maxFrameSize) {
      const part = whole.subarray(off, Math.min(whole.length, off + maxFrameSize));
      const first = off === 0;
      const last = off + maxFrameSize >= whole.length;
      const type = first ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) | (first ? endStream : 0);
      this.reserve(FRAME_HEADER_LENGTH + part.length);
      const o = writeFrameHeader(this.out, this.length, part.length, type, flags, streamId);
      part.copy(this.out, o);
      this.length = o + part.length;
    }
  }
}
