import type { TransportError } from '../errors.js';
import type { ApnsRequest, Verdict } from '../types.js';

/**
 * One `send()` in flight inside {@link Http2Pool}: the request, how to settle its promise, and the state of its
 * current stream. It moves between sessions (GOAWAY, refused streams, lost connections, ExpiredProviderToken)
 * until it settles, once. One object per send: the stream state lives here, so a stream costs no other object.
 */
export interface PoolRequest {
  readonly request: ApnsRequest;
  readonly resolve: (verdict: Verdict) => void;
  readonly reject: (error: TransportError) => void;
  /** `performance.now()` after which the request fails with `TIMEOUT`, wherever it is. */
  readonly deadline: number;
  settled: boolean;
  /** Writes that came back without an answer (refused, above a GOAWAY's last stream id, connection lost). */
  resends: number;
  /** Re-sends after 403 ExpiredProviderToken. */
  jwtRetries: number;
  /** The `authorization` value of the last write (token auth). */
  bearer: string | undefined;
  /** `performance.now()` of the last write. */
  writtenAt: number;
  /** Stream id of the current attempt; 0 when not on a stream. */
  streamId: number;
  /** Answer being read: `:status` (0 until the response headers came). */
  status: number;
  apnsId: string | undefined;
  retryAfter: string | undefined;
  /** Body chunks of a non-200 answer. */
  chunks: Buffer[] | undefined;
  /** Payload bytes already sent on the current stream, and the stream's send window (flow control). */
  dataOffset: number;
  sendWindow: number;
  /** The last failure seen, as the `cause` of a TransportError. */
  cause: unknown;
}

export function createPoolRequest(
  request: ApnsRequest,
  resolve: (verdict: Verdict) => void,
  reject: (error: TransportError) => void,
  deadline: number,
): PoolRequest {
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
    streamId: 0,
    status: 0,
    apnsId: undefined,
    retryAfter: undefined,
    chunks: undefined,
    dataOffset: 0,
    sendWindow: 0,
    cause: undefined,
  };
}
