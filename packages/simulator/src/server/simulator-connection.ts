/**
 * One HTTP/2 connection to the simulator: reads each stream's headers and body, runs the validator,
 * answers, records, and manages the connection's SETTINGS (apns-protocol.md B.9, B.10):
 *
 *   token connections      MAX_CONCURRENT_STREAMS 1 until the first valid provider token, then `maxStreams`
 *   certificate conns.     `maxStreams` from the start
 *   dropStreamsAfterRejection  1 after a rejection, `maxStreams` again after an acceptance  [Seen 2016]
 *   idle                   GOAWAY {"reason":"IdleTimeout"} after `idleTimeoutMs` without activity  [Ours]
 *   goAway(reason)         GOAWAY NO_ERROR with {"reason":...}, then a graceful close: streams already
 *                          open still get their answers
 */
import { randomUUID } from 'node:crypto';
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Reason } from '@pushfleet/apns';
import type { Recorder } from './recorder.js';
import { apnsHeadersOf, parseRequestHead } from './request-head.js';
import {
  type ConnectionCredentials,
  isApnsId,
  type PendingRequest,
  type RequestValidator,
} from './request-validator.js';
import { goAwayData, respondError, respondOk, statusOf } from './responses.js';

export interface ConnectionContext {
  readonly validator: RequestValidator;
  readonly recorder: Recorder;
  readonly now: () => number;
  readonly maxStreams: number;
  readonly dropStreamsAfterRejection: boolean;
  readonly idleTimeoutMs: number;
  /** Add `apns-unique-id` to 200 answers (development environment). */
  readonly uniqueIdHeader: boolean;
}

/** Bodies beyond this are counted, not kept: far over every payload limit already. */
const MAX_KEPT_BODY_BYTES = 64 * 1024;
const noop = () => {};

export class SimulatorConnection {
  /** The stream limit currently advertised. */
  #streams: number;
  #authenticated: boolean;

  constructor(
    readonly id: number,
    readonly session: ServerHttp2Session,
    readonly credentials: ConnectionCredentials,
    private readonly context: ConnectionContext,
  ) {
    this.#authenticated = credentials.kind === 'certificate';
    this.#streams = this.#authenticated ? context.maxStreams : 1;
    session.on('error', noop);
    // Node passes the raw header list as a fourth argument, which @types/node leaves out.
    const onStream = (stream: ServerHttp2Stream, _headers: unknown, _flags: number, rawHeaders: string[]) =>
      this.#onStream(stream, rawHeaders);
    session.on('stream', onStream as (stream: ServerHttp2Stream) => void);
    if (context.idleTimeoutMs > 0)
      session.setTimeout(context.idleTimeoutMs, () => this.goAway('IdleTimeout'));
  }

  /** GOAWAY with `{"reason":...}` as debug data, then close once open streams are answered. */
  goAway(reason: Reason): void {
    const session = this.session;
    if (session.closed || session.destroyed) return;
    session.goaway(constants.NGHTTP2_NO_ERROR, 0, goAwayData(reason));
    session.close();
  }

  destroy(): void {
    if (!this.session.destroyed) this.session.destroy();
  }

  #onStream(stream: ServerHttp2Stream, rawHeaders: string[]): void {
    stream.on('error', noop);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_KEPT_BODY_BYTES) chunks.push(chunk);
    });
    stream.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.#answer(stream, rawHeaders, body, size);
    });
  }

  #answer(stream: ServerHttp2Stream, rawHeaders: string[], body: Buffer, bodyLength: number): void {
    const { validator, recorder } = this.context;
    const now = this.context.now();
    const head = parseRequestHead(rawHeaders);
    const req: PendingRequest = {
      head,
      body,
      bodyLength,
      token: '',
      topic: '',
      teamId: undefined,
      payload: '',
      timestamp: undefined,
    };
    const reason = validator.validate(req, this.credentials, now);
    const apnsId = head.apnsId !== undefined && isApnsId(head.apnsId) ? head.apnsId : randomUUID();
    if (
      !this.#authenticated &&
      this.credentials.kind === 'token' &&
      this.credentials.auth.teamId !== undefined
    ) {
      this.#authenticated = true;
      this.#setStreams(this.context.maxStreams);
    }
    if (stream.destroyed) return;

    if (reason === undefined) {
      respondOk(stream, apnsId, this.context.uniqueIdHeader ? randomUUID() : undefined);
      if (this.context.dropStreamsAfterRejection && this.#authenticated)
        this.#setStreams(this.context.maxStreams);
      recorder.onAccepted(
        recorder.keepsRecords
          ? {
              apnsId,
              token: req.token,
              topic: req.topic,
              headers: apnsHeadersOf(rawHeaders),
              payload: req.payload,
              receivedAt: now,
              connectionId: this.id,
              auth: this.credentials.kind,
              teamId: req.teamId,
            }
          : undefined,
      );
      return;
    }
    const status = statusOf(reason);
    respondError(stream, reason, apnsId, status === 410 ? (req.timestamp ?? now) : undefined);
    if (this.context.dropStreamsAfterRejection) this.#setStreams(1);
    recorder.onRejected(
      reason,
      recorder.keepsRecords
        ? { apnsId, path: head.path ?? '', status, reason, receivedAt: now, connectionId: this.id }
        : undefined,
    );
  }

  #setStreams(n: number): void {
    if (this.#streams === n || this.session.destroyed || this.session.closed) return;
    try {
      this.session.settings({ maxConcurrentStreams: n });
      this.#streams = n;
    } catch {
      // Too many unacknowledged SETTINGS: keep the current limit; the next transition retries.
    }
  }
}
