/**
 * The simulator's broadcast side: one {@link RouteContext} serving the broadcast route on the push ports and the
 * channel-management API on its own listener (start-management-server.ts), reading whole requests and writing
 * the answers (route-answer.ts), rejections recorded.
 */
import { randomUUID } from 'node:crypto';
import type { ServerHttp2Stream } from 'node:http2';
import type { ConnectionCredentials } from '../server/request-validator.js';
import { parseBroadcastHead } from './broadcast-head.js';
import { answerBroadcast } from './broadcast-route.js';
import type { BroadcastOperation } from './broadcast-rules.js';
import { answerManagement } from './management-route.js';
import type { RouteAnswer } from './route-answer.js';
import { writeAnswer } from './route-answer.js';
import type { RouteContext, RouteRequest } from './route-context.js';

export interface RouteStream {
  readonly stream: ServerHttp2Stream;
  readonly raw: readonly string[];
  readonly body: Buffer;
  readonly bodyLength: number;
  readonly creds: ConnectionCredentials;
  readonly connectionId: number;
  readonly now: number;
}

export class BroadcastService {
  constructor(readonly context: RouteContext) {}

  /** A `/4/...` request on a push port. */
  answerBroadcast(s: RouteStream): void {
    const req = this.#request(s);
    const answer = answerBroadcast(req, this.context);
    this.#finish(s, req, answer, 'broadcast');
  }

  /** A request on the management port. */
  answerManagement(s: RouteStream): void {
    const req = this.#request(s);
    const { answer, operation, delayMs } = answerManagement(req, this.context);
    if (delayMs > 0) setTimeout(() => this.#finish(s, req, answer, operation), delayMs).unref();
    else this.#finish(s, req, answer, operation);
  }

  #request(s: RouteStream): RouteRequest {
    const head = parseBroadcastHead(s.raw);
    return {
      head,
      raw: s.raw,
      body: s.body,
      bodyLength: s.bodyLength,
      creds: s.creds,
      connectionId: s.connectionId,
      now: s.now,
      requestId: head.requestId !== undefined && head.requestId.length > 0 ? head.requestId : randomUUID(),
    };
  }

  #finish(
    s: RouteStream,
    req: RouteRequest,
    answer: RouteAnswer,
    operation: BroadcastOperation | undefined,
  ): void {
    writeAnswer(s.stream, answer, req.requestId);
    if (answer.reason === undefined) return;
    this.context.recorder.onRejected({
      requestId: req.requestId,
      operation,
      path: req.head.path ?? '',
      status: answer.status,
      reason: answer.reason,
      receivedAt: req.now,
    });
  }
}
