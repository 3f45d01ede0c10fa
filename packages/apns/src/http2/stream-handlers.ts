import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import type { PendingRequest } from './pending-request.js';
import type { ApnsSession } from './session.js';

/*
 * Stream event handlers are shared module functions: `this` is the stream, tagged with its request and its session,
 * so a request costs no closures.
 */

const kPending = Symbol('pending');
const kSession = Symbol('session');
type TaggedStream = ClientHttp2Stream & { [kPending]: PendingRequest; [kSession]: ApnsSession };

/** Tag a new stream with its request and session and listen for its answer. */
export function attachStream(stream: ClientHttp2Stream, pending: PendingRequest, session: ApnsSession): void {
  const tagged = stream as TaggedStream;
  tagged[kPending] = pending;
  tagged[kSession] = session;
  stream.on('response', onStreamResponse);
  stream.on('error', onStreamError);
  stream.on('close', onStreamClose);
}

/** The request a stream carries. */
export function pendingOf(stream: ClientHttp2Stream): PendingRequest {
  return (stream as TaggedStream)[kPending];
}

/** Collect the body of a non-200 answer into `pending.chunks`; `session.streamBody` runs at its end. */
export function readBody(stream: ClientHttp2Stream): void {
  stream.on('data', onStreamData);
  stream.on('end', onStreamEnd);
}

function onStreamResponse(this: ClientHttp2Stream, headers: IncomingHttpHeaders): void {
  const tagged = this as TaggedStream;
  tagged[kSession].streamResponse(this, tagged[kPending], headers);
}

function onStreamData(this: ClientHttp2Stream, chunk: Buffer): void {
  (this as TaggedStream)[kPending].chunks?.push(chunk);
}

function onStreamEnd(this: ClientHttp2Stream): void {
  const tagged = this as TaggedStream;
  tagged[kSession].streamBody(this, tagged[kPending]);
}

function onStreamError(this: ClientHttp2Stream, error: Error): void {
  const pending = (this as TaggedStream)[kPending];
  if (pending.stream === this) pending.cause = error;
}

function onStreamClose(this: ClientHttp2Stream): void {
  const tagged = this as TaggedStream;
  tagged[kSession].streamClosed(this, tagged[kPending]);
}
