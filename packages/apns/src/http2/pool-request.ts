import type { ClientStream } from '@pushfleet/h2';
import type { SendReceiver } from '../pending-sends.js';
import type { ApnsRequest } from '../types.js';

/**
 * One send in flight inside {@link Http2Pool}: the request, who is told its end, and (as a
 * `ClientStream`) the state of its current HTTP/2 stream. It moves between connections (GOAWAY, refused streams,
 * lost connections, ExpiredProviderToken) until it settles, once. One object per send: the stream state lives
 * here, so a stream costs no other object.
 */
export interface PoolRequest extends ClientStream {
  readonly request: ApnsRequest;
  readonly receiver: SendReceiver;
  /** Writes that came back without an answer: above a GOAWAY's last-stream-id, or lost with the connection. */
  resends: number;
  /** Re-sends after 403 ExpiredProviderToken. */
  jwtRetries: number;
  /** The `authorization` value of the last write (token auth). */
  bearer: string | undefined;
  /** `apns-id` and `retry-after` of the answer being read. */
  apnsId: string | undefined;
  retryAfter: string | undefined;
  /** `apns-unique-id` of the answer (sandbox 200s). */
  uniqueId: string | undefined;
  /** The last failure seen, as the `cause` of a TransportError. */
  cause: unknown;
  /** The connection the request was last written to (its timeouts are counted against it). */
  session: object | undefined;
}

export function createPoolRequest(
  request: ApnsRequest,
  receiver: SendReceiver,
  deadline: number,
): PoolRequest {
  return {
    request,
    body: request.payload,
    receiver,
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
    uniqueId: undefined,
    chunks: undefined,
    dataOffset: 0,
    sendWindow: 0,
    cause: undefined,
    session: undefined,
  };
}
