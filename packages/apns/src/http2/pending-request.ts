import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { TransportError } from '../errors.js';
import type { ApnsRequest, Verdict } from '../types.js';

/**
 * One `send()` in flight inside the HTTP/2 transport: the request, how to settle its promise, and the state of its
 * current stream. It moves between sessions (GOAWAY, refused streams, ExpiredProviderToken) until it settles once.
 * Internal to `http2/`; a session pool reuses it.
 */
export interface PendingRequest {
  readonly request: ApnsRequest;
  readonly resolve: (verdict: Verdict) => void;
  readonly reject: (error: TransportError) => void;
  /** `performance.now()` after which the request fails with `TIMEOUT`, wherever it is. */
  readonly deadline: number;
  /** Resolved or rejected: every later event for it is ignored. */
  settled: boolean;
  /** Times it was written and came back unprocessed (REFUSED_STREAM, above a GOAWAY's last stream id). */
  resends: number;
  /** Times it was re-sent after 403 ExpiredProviderToken. */
  jwtRetries: number;
  /** The `authorization` value of the last write (token auth), for `refreshAfterRejection`. */
  bearer: string | undefined;
  /** `performance.now()` of the last write. */
  writtenAt: number;
  /** The stream of the current attempt, while one is open. */
  stream: ClientHttp2Stream | undefined;
  /** Response headers of a non-200 answer whose body is still being read. */
  responseHeaders: IncomingHttpHeaders | undefined;
  /** Body chunks of a non-200 answer. */
  chunks: Buffer[] | undefined;
  /** The last stream error seen, kept as the `cause` of a TransportError. */
  cause: unknown;
}

/** A fresh {@link PendingRequest}. */
export function createPendingRequest(
  request: ApnsRequest,
  resolve: (verdict: Verdict) => void,
  reject: (error: TransportError) => void,
  deadline: number,
): PendingRequest {
  return {
    request,
    resolve,
    reject,
    deadline,
    settled: false,
    resends: 0,
    jwtRetries: 0,
    bearer: undefined,
    writtenAt: 0,
    stream: undefined,
    responseHeaders: undefined,
    chunks: undefined,
    cause: undefined,
  };
}
