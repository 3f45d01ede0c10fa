/**
 * The open streams of one client connection and how each one ends: its response head decoded (HPACK, RFC 7541),
 * its body read, then exactly one report to the owner: answered, reset, not processed (above a GOAWAY's
 * last-stream-id), lost with the connection, or timed out.
 *
 * Every header block is decoded, even one for a stream we no longer track: a connection has one decompression
 * context (RFC 9113 §4.3), whose dynamic table must stay in step with the peer's encoder.
 */
import type { ClientConnection } from './client-connection.js';
import type { ClientConnectionHandler, ClientStream } from './connection-handler.js';
import { type ConnectionError, ErrorCode, Flag, MAX_STREAM_ID } from './frames.js';
import { HpackDecoder, HpackError } from './hpack/hpack-decoder.js';

/** Bytes of a response body kept per stream, unless the connection is told otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export class ClientStreams<S extends ClientStream, R extends string> {
  readonly #connection: ClientConnection<S, R>;
  readonly #handler: ClientConnectionHandler<S, R>;
  readonly #maxBodyBytes: number;
  /** Called after each stream ends and its report went out: the connection's slot bookkeeping. */
  readonly #ended: () => void;
  /** Open streams by id. */
  readonly map = new Map<number, S>();
  #nextId = 1;
  readonly #decoder = new HpackDecoder();
  /** The stream whose final response head is being decoded now, and the `:status` seen in the block. */
  #heading: S | undefined;
  #status = 0;
  readonly #sink = (name: string, value: string): void => {
    if (name === ':status') this.#status = Number(value);
    else if (this.#heading !== undefined && (this.#status === 0 || this.#status >= 200)) {
      this.#handler.onResponseHeader(this.#heading, name, value);
    }
  };

  constructor(
    connection: ClientConnection<S, R>,
    handler: ClientConnectionHandler<S, R>,
    maxBodyBytes: number,
    ended: () => void,
  ) {
    this.#connection = connection;
    this.#handler = handler;
    this.#maxBodyBytes = maxBodyBytes;
    this.#ended = ended;
  }

  get size(): number {
    return this.map.size;
  }

  /** Every client-initiated id (odd, RFC 9113 §5.1.1) is used up: the connection must be replaced. */
  get exhausted(): boolean {
    return this.#nextId > MAX_STREAM_ID;
  }

  /**
   * A frame for `streamId`, which we do not track: a connection error when that stream is idle (RFC 9113 §5.1),
   * i.e. an id we have not used yet, or an even one (server-initiated, §5.1.1: with push disabled, never
   * opened). A closed stream of ours is not an error: frames may still be in flight.
   */
  untracked(streamId: number, frameName: string): ConnectionError | undefined {
    if ((streamId & 1) === 1 && streamId < this.#nextId) return undefined;
    return { code: ErrorCode.PROTOCOL_ERROR, message: `${frameName} on idle stream ${streamId}` };
  }

  /** Give `stream` the next id and a fresh response state; returns the id. */
  open(stream: S, sendWindow: number, now: number): number {
    const id = this.#nextId;
    this.#nextId += 2;
    stream.streamId = id;
    stream.status = 0;
    stream.chunks = undefined;
    stream.dataOffset = 0;
    stream.sendWindow = sendWindow;
    stream.writtenAt = now;
    this.map.set(id, stream);
    return id;
  }

  /** A response header block; returns the connection error it causes, if any. */
  onHeaderBlock(
    streamId: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
  ): ConnectionError | undefined {
    const stream = this.map.get(streamId);
    this.#heading = stream !== undefined && stream.status === 0 ? stream : undefined;
    this.#status = 0;
    try {
      this.#decoder.decode(buf, start, end, this.#sink);
    } catch (error) {
      if (error instanceof HpackError) return { code: ErrorCode.COMPRESSION_ERROR, message: error.message };
      throw error;
    } finally {
      this.#heading = undefined;
    }
    if (stream === undefined) return this.untracked(streamId, 'HEADERS');
    if (stream.status === 0) {
      if (this.#status >= 100 && this.#status < 200) return undefined; // informational; the final head follows
      if (this.#status === 0) {
        return { code: ErrorCode.PROTOCOL_ERROR, message: `response on stream ${streamId} without :status` };
      }
      stream.status = this.#status;
    }
    // A second block is trailers: decoded above, nothing in it is reported.
    if (flags & Flag.END_STREAM) this.#answered(streamId, stream);
    return undefined;
  }

  /** DATA without padding; returns the connection error it causes, if any. */
  onData(
    streamId: number,
    flags: number,
    buf: Buffer,
    start: number,
    end: number,
  ): ConnectionError | undefined {
    const stream = this.map.get(streamId);
    if (stream === undefined) return this.untracked(streamId, 'DATA');
    if (stream.status === 0) {
      return { code: ErrorCode.PROTOCOL_ERROR, message: `DATA before HEADERS on stream ${streamId}` };
    }
    if (end > start) {
      const chunks = (stream.chunks ??= []);
      const kept = chunks.reduce((n, c) => n + c.length, 0);
      if (kept < this.#maxBodyBytes) chunks.push(Buffer.from(buf.subarray(start, end)));
    }
    if (flags & Flag.END_STREAM) this.#answered(streamId, stream);
    return undefined;
  }

  /** RST_STREAM from the peer (or our own stream error); returns the connection error it causes, if any. */
  onReset(streamId: number, code: number): ConnectionError | undefined {
    const stream = this.map.get(streamId);
    if (stream === undefined) return this.untracked(streamId, 'RST_STREAM');
    this.#end(streamId, stream);
    if (!stream.settled) this.#handler.onReset(stream, code, streamId);
    this.#ended();
    return undefined;
  }

  /** Streams past their deadline: `cancel(id)` resets each on the wire, then the owner hears of it. */
  expire(now: number, cancel: (streamId: number) => void): void {
    for (const [id, stream] of this.map) {
      if (stream.settled || now < stream.deadline) continue;
      this.#end(id, stream);
      cancel(id);
      this.#handler.onTimeout(stream);
      this.#ended();
    }
  }

  /** Streams above a GOAWAY's last-stream-id, taken off this connection (the caller reports them). */
  takeAbove(lastStreamId: number): S[] {
    const unprocessed: S[] = [];
    for (const [id, stream] of this.map) {
      if (id <= lastStreamId) continue;
      this.#end(id, stream);
      unprocessed.push(stream);
    }
    return unprocessed;
  }

  /** The connection closed: every open stream is lost with it. */
  loseAll(error: Error | undefined): void {
    const open = [...this.map.values()];
    this.map.clear();
    for (const stream of open) {
      stream.streamId = 0;
      if (!stream.settled) this.#handler.onLost(stream, error);
    }
  }

  #answered(streamId: number, stream: S): void {
    this.#end(streamId, stream);
    if (!stream.settled) {
      const chunks = stream.chunks;
      stream.chunks = undefined;
      const body =
        chunks === undefined ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.#handler.onResponse(this.#connection, stream, body);
    }
    this.#ended();
  }

  #end(streamId: number, stream: S): void {
    this.map.delete(streamId);
    stream.streamId = 0;
  }
}
