/**
 * What a {@link ClientConnection} and its owner exchange: the per-request stream state the owner's own request
 * object carries, the header block the owner encodes, and the events the connection reports back.
 */
import type { ClientConnection } from './client-connection.js';

/**
 * The fields a connection keeps per request, on the owner's request object: a stream is an id in a Map and these
 * fields, so it costs no other object (node:http2's Duplex per stream is what made it slow). The owner sets
 * `body`, `deadline` and `settled`; the connection writes the rest.
 */
export interface ClientStream {
  /** The request body, sent in DATA frames as the flow-control windows allow; empty: HEADERS ends the stream. */
  readonly body: string | Buffer;
  /** `performance.now()` after which the connection resets the stream (CANCEL) and reports `onTimeout`. */
  readonly deadline: number;
  /** The owner has its outcome: the connection drops the stream without reporting it again. */
  settled: boolean;
  /** Stream id of the current attempt; 0 when not on a stream. */
  streamId: number;
  /** `:status` of the response; 0 until its header block came. */
  status: number;
  /** Response body read so far (DATA payloads, up to the connection's `maxBodyBytes`). */
  chunks: Buffer[] | undefined;
  /** Body bytes already sent on the current stream. */
  dataOffset: number;
  /** What the peer lets this stream send now (RFC 9113 §6.9.1). */
  sendWindow: number;
  /** `performance.now()` when the HEADERS were queued. */
  writtenAt: number;
}

/**
 * A request's header block (RFC 9113 §4.3), encoded by the owner straight into the connection's write buffer:
 * the connection reserves `maxLength` bytes, calls `writeTo`, then frames what was written as HEADERS (plus
 * CONTINUATION beyond the peer's SETTINGS_MAX_FRAME_SIZE). Encode with the connection's own `encoder`, whose
 * dynamic table follows this connection's peer.
 */
export interface HeaderBlock {
  /** An upper bound of the bytes `writeTo` writes. */
  readonly maxLength: number;
  /** Write the block at `out[offset]`; returns the offset after its last byte. */
  writeTo(out: Buffer, offset: number): number;
}

/** Why a connection ended; the owner may add its own reasons for `retire()` (type parameter `R`). */
export const CONNECTION_CLOSE_REASONS = [
  'goaway',
  'error',
  'remote-closed',
  'ping-timeout',
  'connect-timeout',
  'closed',
] as const;
export type ConnectionCloseReason = (typeof CONNECTION_CLOSE_REASONS)[number];

/** What a connection reports to its owner. Every stream is reported at most once, and never once `settled`. */
export interface ClientConnectionHandler<S extends ClientStream, R extends string = never> {
  /** A regular field of a stream's final response head (not `:status`, not 1xx heads, not trailers). */
  onResponseHeader(stream: S, name: string, value: string): void;
  /** The response ended: `stream.status` is set; `body` is undefined when no DATA came. */
  onResponse(connection: ClientConnection<S, R>, stream: S, body: Buffer | undefined): void;
  /** The peer reset stream `streamId` with `code`; REFUSED_STREAM: not processed (RFC 9113 §8.7). */
  onReset(stream: S, code: number, streamId: number): void;
  /** Above the last-stream-id of the peer's GOAWAY: not processed, safe to send elsewhere (RFC 9113 §6.8). */
  onNotProcessed(stream: S): void;
  /** The connection closed while the stream was open: whether the peer processed it is unknown. */
  onLost(stream: S, error: Error | undefined): void;
  /** No answer before `stream.deadline`; the connection has reset the stream with CANCEL. */
  onTimeout(stream: S): void;
  /** Stream slots may have opened (connected, a stream ended, SETTINGS raised the limit). */
  onCapacity(connection: ClientConnection<S, R>): void;
  onOpened(connection: ClientConnection<S, R>): void;
  /** The connection takes no new streams from now on (GOAWAY, retire, error). */
  onDraining(connection: ClientConnection<S, R>): void;
  onClosed(
    connection: ClientConnection<S, R>,
    reason: ConnectionCloseReason | R,
    connected: boolean,
    error: Error | undefined,
  ): void;
  /** A TLS session ticket to resume the next connection with. */
  onTlsSession(ticket: Buffer): void;
}
