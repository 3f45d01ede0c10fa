/**
 * What the simulator writes back, in the format of Apple's "Handling notification responses from APNs":
 *
 *   200   :status 200, apns-id, [apns-unique-id in development], no body
 *   error :status <from the reason table>, apns-id, content-type application/json,
 *         body {"reason":"<Reason>"}  (410 adds ,"timestamp":<ms since epoch>)
 *   GOAWAY debug data {"reason":"<Reason>"}  (Shutdown on close(), IdleTimeout on idle)
 *
 * Error bodies are built once per reason; only a 410 body is built per response.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { REASONS, type Reason } from '@pushfleet/apns';

const ERROR_BODIES = new Map<string, Buffer>(
  Object.keys(REASONS).map((reason) => [reason, Buffer.from(JSON.stringify({ reason }))]),
);

/** The HTTP status of a reason. */
export function statusOf(reason: Reason): number {
  return REASONS[reason].status;
}

export function errorBody(reason: Reason, timestamp: number | undefined): Buffer {
  if (REASONS[reason].status === 410) return Buffer.from(JSON.stringify({ reason, timestamp }));
  return ERROR_BODIES.get(reason) ?? Buffer.from(JSON.stringify({ reason }));
}

export function respondOk(stream: ServerHttp2Stream, apnsId: string, uniqueId: string | undefined): void {
  const headers =
    uniqueId === undefined
      ? { ':status': 200, 'apns-id': apnsId }
      : { ':status': 200, 'apns-id': apnsId, 'apns-unique-id': uniqueId };
  stream.respond(headers, { endStream: true });
}

export function respondError(
  stream: ServerHttp2Stream,
  reason: Reason,
  apnsId: string,
  timestamp: number | undefined,
): void {
  stream.respond({
    ':status': REASONS[reason].status,
    'apns-id': apnsId,
    'content-type': 'application/json',
  });
  stream.end(errorBody(reason, timestamp));
}

/** GOAWAY debug data: {"reason":"..."}. */
export function goAwayData(reason: Reason): Buffer {
  return ERROR_BODIES.get(reason) ?? Buffer.from(JSON.stringify({ reason }));
}
