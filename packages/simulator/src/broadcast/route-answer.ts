/**
 * What the broadcast and management routes answer, and how it goes on the wire [Apple ER, CM, BC]:
 *
 *   success  :status 200/201/204, apns-request-id, [apns-channel-id | apns-unique-id], [JSON body]
 *   error    :status from the broadcast reason table, apns-request-id, content-type application/json,
 *            body {"reason":"<Reason>"}   (no apns-id, no timestamp)
 */
import { type ServerHttp2Stream, sensitiveHeaders } from 'node:http2';
import { BROADCAST_REASONS, type BroadcastReason } from '@pushfleet/apns';
import { ANSWER, LAST_ANSWER } from '../server/responses.js';

export interface RouteAnswer {
  readonly status: number;
  readonly reason?: BroadcastReason | undefined;
  /** Extra response headers (`apns-channel-id`, `apns-unique-id`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
}

export function rejection(reason: BroadcastReason): RouteAnswer {
  return { status: BROADCAST_REASONS[reason].status, reason };
}

/**
 * As the device route answers (server/responses.ts, whose options these use: no `date`), with the ids that are
 * new in every answer as never-indexed literals, not churning HPACK's table.
 */
const NEW_EVERY_TIME = ['apns-request-id', 'apns-unique-id'];

export function writeAnswer(stream: ServerHttp2Stream, answer: RouteAnswer, requestId: string): void {
  if (stream.destroyed || stream.closed) return;
  if (answer.reason !== undefined) {
    stream.respond(
      {
        ':status': answer.status,
        'apns-request-id': requestId,
        'content-type': 'application/json',
        [sensitiveHeaders]: NEW_EVERY_TIME,
      },
      ANSWER,
    );
    stream.end(JSON.stringify({ reason: answer.reason }));
    return;
  }
  const headers = {
    ':status': answer.status,
    'apns-request-id': requestId,
    ...answer.headers,
    [sensitiveHeaders]: NEW_EVERY_TIME,
  };
  if (answer.body === undefined) {
    stream.respond(headers, LAST_ANSWER);
    return;
  }
  stream.respond({ ...headers, 'content-type': 'application/json' }, ANSWER);
  stream.end(answer.body);
}
