/**
 * What the simulator writes back, in the format of Apple's "Handling notification responses from APNs":
 *
 *   200   :status 200, apns-id, [apns-unique-id in development], no body
 *   error :status <from the reason table>, apns-id, content-type application/json,
 *         body {"reason":"<Reason>"}  (410 adds ,"timestamp":<ms since epoch>)
 *   GOAWAY debug data {"reason":"<Reason>"}  (Shutdown on close(), IdleTimeout on idle)
 *
 * Error bodies are built once per reason; only a 410 body is built per response. No `date`. `apns-id` and
 * `apns-unique-id` go out as HPACK literals never indexed: each value is new, so indexing it only churned both
 * ends' dynamic tables (in the demo, 0.5 of the simulator's 7.1 s of CPU for 200,000 answers). A client must
 * decode every representation, whichever the server picks (RFC 7541 §6.2).
 */
import { type ServerHttp2Stream, type ServerStreamResponseOptions, sensitiveHeaders } from 'node:http2';
import { REASONS, type Reason } from '@pushfleet/apns';

/** Answer headers whose value is new every time (`sensitiveHeaders`: written as never-indexed literals). */
const UNIQUE_VALUED = ['apns-id', 'apns-unique-id'];
/**
 * No `date` header, which node:http2 adds unless told not to: Apple's answers carry none. Every route answers
 * with these (the broadcast and management routes too: broadcast/route-answer.ts).
 */
export const ANSWER = { sendDate: false } as ServerStreamResponseOptions;
export const LAST_ANSWER = { endStream: true, sendDate: false } as ServerStreamResponseOptions;

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
      ? { ':status': 200, 'apns-id': apnsId, [sensitiveHeaders]: UNIQUE_VALUED }
      : { ':status': 200, 'apns-id': apnsId, 'apns-unique-id': uniqueId, [sensitiveHeaders]: UNIQUE_VALUED };
  stream.respond(headers, LAST_ANSWER);
}

export function respondError(
  stream: ServerHttp2Stream,
  reason: Reason,
  apnsId: string,
  timestamp: number | undefined,
): void {
  stream.respond(
    {
      ':status': REASONS[reason].status,
      'apns-id': apnsId,
      'content-type': 'application/json',
      [sensitiveHeaders]: UNIQUE_VALUED,
    },
    ANSWER,
  );
  stream.end(errorBody(reason, timestamp));
}

/** GOAWAY debug data: {"reason":"..."}. */
export function goAwayData(reason: Reason): Buffer {
  return ERROR_BODIES.get(reason) ?? Buffer.from(JSON.stringify({ reason }));
}
