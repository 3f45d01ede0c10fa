/**
 * Bytes from the socket into frames (RFC 9113 §4.1): a frame split over socket reads is carried to the next read,
 * a header block split over HEADERS and CONTINUATION frames is joined (§6.10), and padding (§6.1, §6.2) and the
 * HEADERS priority fields (§6.2) are removed before the payload is handed on.
 *
 * Framing errors are connection errors (§5.4.1). After one, whether found here or by the owner (`stop()`),
 * nothing more is read: not the rest of this read, not later ones.
 */
import { DEFAULT_MAX_FRAME_SIZE, ErrorCode, Flag, FRAME_HEADER_LENGTH, FrameType } from './frames.js';

/** Where the frames of a read go; `buf[start, end)` is only valid during the call. */
export interface FrameSink {
  /** DATA without its padding; `flowLength` is the whole payload, which flow control counts (§6.9.1). */
  onData(streamId: number, flags: number, flowLength: number, buf: Buffer, start: number, end: number): void;
  /** A complete header block: HEADERS plus any CONTINUATION, without padding or priority fields. */
  onHeaderBlock(streamId: number, flags: number, buf: Buffer, start: number, end: number): void;
  /** Every other frame type, payload as sent (unknown types too: ignoring them is the sink's call, §4.1). */
  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void;
  /** The bytes broke a framing rule; the reader has stopped. */
  onFramingError(code: number, message: string): void;
}

/**
 * The largest header block (HEADERS plus CONTINUATION) we buffer: APNs answers take a few hundred bytes, and a
 * peer that keeps sending CONTINUATION would otherwise make us buffer without bound (RFC 9113 §10.5.1).
 */
export const MAX_HEADER_BLOCK_BYTES = 64 * 1024;

export class FrameReader {
  readonly #sink: FrameSink;
  #stopped = false;
  /** No frame read yet, and the peer's preface must be a SETTINGS frame (a server's, RFC 9113 §3.4). */
  #first: boolean;
  /** A partial frame left over from the previous read. */
  #carry: Buffer | undefined;
  /** A header block waiting for CONTINUATION: its stream (0: none), HEADERS flags and fragments. */
  #continuationStream = 0;
  #continuationFlags = 0;
  #continuationParts: Buffer[] = [];
  #continuationBytes = 0;

  /** @param settingsFirst the first frame must be a SETTINGS frame (reading a server, RFC 9113 §3.4). */
  constructor(sink: FrameSink, settingsFirst = false) {
    this.#sink = sink;
    this.#first = settingsFirst;
  }

  /** Read nothing more (a connection error, or the connection closed). */
  stop(): void {
    this.#stopped = true;
    this.#carry = undefined;
  }

  /** Hand every complete frame in `chunk` (after what was carried) to the sink, in order. */
  push(chunk: Buffer): void {
    if (this.#stopped) return;
    let buf = chunk;
    if (this.#carry !== undefined) {
      buf = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= FRAME_HEADER_LENGTH && !this.#stopped) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (length > DEFAULT_MAX_FRAME_SIZE) {
        // We never raise our SETTINGS_MAX_FRAME_SIZE, so anything larger breaks it (§4.2).
        this.#fail(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes > our MAX_FRAME_SIZE`);
        return;
      }
      if (end - pos < FRAME_HEADER_LENGTH + length) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const start = pos + FRAME_HEADER_LENGTH;
      pos = start + length;
      this.#frame(buf, type, flags, streamId, start, pos);
    }
    if (pos < end && !this.#stopped) this.#carry = buf.subarray(pos);
  }

  #frame(buf: Buffer, type: number, flags: number, streamId: number, start: number, end: number): void {
    if (this.#first) {
      this.#first = false;
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) {
        this.#fail(ErrorCode.PROTOCOL_ERROR, 'first frame from the server is not SETTINGS');
        return;
      }
    }
    if (this.#continuationStream !== 0 && type !== FrameType.CONTINUATION) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
      return;
    }
    if (type === FrameType.DATA) this.#data(buf, flags, streamId, start, end);
    else if (type === FrameType.HEADERS) this.#headers(buf, flags, streamId, start, end);
    else if (type === FrameType.CONTINUATION) this.#continuation(buf, flags, streamId, start, end);
    else this.#sink.onFrame(type, flags, streamId, buf, start, end);
  }

  #data(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (streamId === 0) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
      return;
    }
    const padded = (flags & Flag.PADDED) !== 0;
    const dataStart = padded ? start + 1 : start;
    const dataEnd = padded ? unpaddedEnd(buf, start, end) : end;
    if (dataEnd < dataStart) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than the frame');
      return;
    }
    this.#sink.onData(streamId, flags, end - start, buf, dataStart, dataEnd);
  }

  #headers(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (streamId === 0) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
      return;
    }
    const padded = (flags & Flag.PADDED) !== 0;
    // After the pad length (if PADDED), a PRIORITY flag adds 5 bytes of deprecated priority fields (§6.2).
    const blockStart = (padded ? start + 1 : start) + (flags & Flag.PRIORITY ? 5 : 0);
    const blockEnd = padded ? unpaddedEnd(buf, start, end) : end;
    if (blockEnd < blockStart) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
      return;
    }
    if ((flags & Flag.END_HEADERS) === 0) {
      this.#continuationStream = streamId;
      this.#continuationFlags = flags;
      this.#continuationParts = [Buffer.from(buf.subarray(blockStart, blockEnd))];
      this.#continuationBytes = blockEnd - blockStart;
      return;
    }
    this.#sink.onHeaderBlock(streamId, flags, buf, blockStart, blockEnd);
  }

  #continuation(buf: Buffer, flags: number, streamId: number, start: number, end: number): void {
    if (this.#continuationStream === 0 || streamId !== this.#continuationStream) {
      this.#fail(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
      return;
    }
    this.#continuationBytes += end - start;
    if (this.#continuationBytes > MAX_HEADER_BLOCK_BYTES) {
      // An endless header block is abuse, not a framing mistake: ENHANCE_YOUR_CALM (RFC 9113 §10.5, §10.5.1).
      this.#continuationParts = [];
      this.#fail(ErrorCode.ENHANCE_YOUR_CALM, `header block over ${MAX_HEADER_BLOCK_BYTES} bytes`);
      return;
    }
    this.#continuationParts.push(Buffer.from(buf.subarray(start, end)));
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.#continuationParts);
    const headerFlags = this.#continuationFlags;
    this.#continuationStream = 0;
    this.#continuationParts = [];
    this.#sink.onHeaderBlock(streamId, headerFlags, block, 0, block.length);
  }

  #fail(code: number, message: string): void {
    this.stop();
    this.#sink.onFramingError(code, message);
  }
}

/**
 * Where a PADDED frame's padding starts: `end` less the pad length in its first byte (RFC 9113 §6.1). Padding as
 * long as the payload or longer leaves this before the data starts: a PROTOCOL_ERROR, as is an empty frame with
 * no room for the pad length.
 */
function unpaddedEnd(buf: Buffer, start: number, end: number): number {
  return end > start ? end - buf[start]! : start;
}
