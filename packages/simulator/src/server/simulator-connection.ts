/**
 * One HTTP/2 connection to the simulator: reads each stream's headers and body, runs the validator,
 * answers, records, and manages the connection's SETTINGS (docs/protocol/http2-provider-api.md, "Connection
 * behaviour"):
 *
 *   token connections      MAX_CONCURRENT_STREAMS 1 until the first valid provider token, then `maxStreams`
 *   certificate conns.     `maxStreams` from the start
 *   dropStreamsAfterRejection  1 after a rejection, `maxStreams` again after an acceptance  [Seen 2016]
 *   idle                   GOAWAY {"reason":"IdleTimeout"} after `idleTimeoutMs` without activity  [Ours]
 *   goAway(reason)         GOAWAY NO_ERROR with {"reason":...}, then a graceful close: streams already
 *                          open still get their answers
 *   faults                 see fault-injector.ts: when `faults.perStream` is false a stream costs one extra
 *                          boolean test; otherwise it may be delayed, reset, held (read delay) or end the
 *                          connection (GOAWAY after N streams, after N errors, every T ms; TCP reset)
 */
import { randomUUID } from 'node:crypto';
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Reason } from '@pushfleet/apns';
import { isBroadcastPath } from '../broadcast/broadcast-route.js';
import type { BroadcastService } from '../broadcast/broadcast-service.js';
import { liveActivityWarnings } from '../broadcast/live-activity-lint.js';
import type { FaultInjector, FaultTarget } from './fault-injector.js';
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
  readonly faults: FaultInjector;
  /** The `/4/broadcasts` route (broadcast-route.ts). */
  readonly broadcast: BroadcastService;
}

/** Bodies beyond this are counted, not kept: far over every payload limit already. */
const MAX_KEPT_BODY_BYTES = 64 * 1024;
/** A silenced connection's socket is destroyed this long after, so a run does not keep it forever. */
const SILENT_HOLD_MS = 300_000;
const noop = () => {};

export class SimulatorConnection implements FaultTarget {
  /** The stream limit currently advertised. */
  #streams: number;
  #authenticated: boolean;
  /** Streams opened so far, errors answered so far (for goAwayAfterStreams, disconnectAfterErrors). */
  #streamCount = 0;
  #errorCount = 0;
  /** Last-stream-id of a GOAWAY sent with an explicit one: later streams are refused, not answered. */
  #lastStreamId = Number.MAX_SAFE_INTEGER;
  /** SETTINGS_INITIAL_WINDOW_SIZE this connection was given. */
  #windowSize: number;
  #goAwayTimer: NodeJS.Timeout | undefined;
  /** Silenced by silentDisconnectRate: nothing is read or written on it again. */
  #silent = false;

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
    const faults = context.faults;
    this.#windowSize = faults.config.windowSize;
    faults.track(this);
    session.once('close', () => {
      faults.untrack(this);
      clearTimeout(this.#goAwayTimer);
    });
    if (faults.config.goAwayEveryMs > 0) this.#armGoAwayTimer();
  }

  /**
   * GOAWAY with `{"reason":...}` as debug data, then close once open streams are answered. `lastStreamId`
   * 0 means the last stream the server processed.
   */
  goAway(reason: Reason, lastStreamId = 0): void {
    const session = this.session;
    if (session.closed || session.destroyed || this.#silent) return;
    if (lastStreamId > 0) this.#lastStreamId = lastStreamId;
    session.goaway(constants.NGHTTP2_NO_ERROR, lastStreamId, goAwayData(reason));
    session.close();
  }

  /** The fault configuration changed: re-arm the GOAWAY timer, advertise the new window size. @internal */
  onFaultsChanged(): void {
    const session = this.session;
    if (session.destroyed) return;
    if (this.context.faults.outage) {
      this.context.faults.countOutageReset();
      this.#resetConnection();
      return;
    }
    if (session.closed || this.#silent) return;
    this.#armGoAwayTimer();
    const windowSize = this.context.faults.config.windowSize;
    if (windowSize === this.#windowSize) return;
    try {
      session.settings({ initialWindowSize: windowSize });
      this.#windowSize = windowSize;
    } catch {
      // Too many unacknowledged SETTINGS: new connections get the new size anyway.
    }
  }

  destroy(): void {
    if (!this.session.destroyed) this.session.destroy();
  }

  #onStream(stream: ServerHttp2Stream, rawHeaders: string[]): void {
    stream.on('error', noop);
    this.#streamCount++;
    if ((stream.id ?? 0) > this.#lastStreamId) {
      // Above the last-stream-id of our GOAWAY: not processed, the client resends it elsewhere.
      this.context.faults.countRefusedStream();
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const faulty = this.context.faults.perStream;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_KEPT_BODY_BYTES) chunks.push(chunk);
    });
    stream.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (faulty) this.#faultyAnswer(stream, rawHeaders, body, size);
      else this.#answer(stream, rawHeaders, body, size, this.context.now());
    });
    if (faulty) this.#faultyArrival(stream);
  }

  /** Stream-arrival faults: GOAWAY after N streams, slow reading. */
  #faultyArrival(stream: ServerHttp2Stream): void {
    const config = this.context.faults.config;
    if (config.goAwayAfterStreams > 0 && this.#streamCount >= config.goAwayAfterStreams) {
      this.#faultGoAway(config.goAwayReason, stream.id ?? 0);
    }
    const delayMs = config.readDelayMs;
    if (delayMs > 0) {
      // Read one chunk at a time (a Readable buffers up to its high-water mark, 16 KiB, and node:http2
      // sends WINDOW_UPDATE as soon as data is buffered), then hold the stream paused for `delayMs`.
      const state = (stream as unknown as { _readableState?: { highWaterMark: number } })._readableState;
      if (state !== undefined) state.highWaterMark = 0;
      stream.on('data', () => {
        stream.pause();
        setTimeout(() => stream.resume(), delayMs);
      });
    }
  }

  /** Body-complete faults: reset the stream, reset the connection, or answer after a delay. */
  #faultyAnswer(stream: ServerHttp2Stream, rawHeaders: string[], body: Buffer, bodyLength: number): void {
    const faults = this.context.faults;
    const receivedAt = this.context.now();
    const fate = faults.fate();
    if (fate === 'reset') {
      if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (fate === 'disconnect') {
      this.#resetConnection();
      return;
    }
    if (fate === 'silence') {
      this.#silence();
      return;
    }
    const delayMs = faults.delayMs();
    if (delayMs > 0) {
      setTimeout(() => this.#answer(stream, rawHeaders, body, bodyLength, receivedAt), delayMs);
    } else {
      this.#answer(stream, rawHeaders, body, bodyLength, receivedAt);
    }
  }

  #faultGoAway(reason: Reason, lastStreamId: number): void {
    if (this.session.closed || this.session.destroyed || this.#silent) return;
    this.context.faults.countGoAway();
    this.goAway(reason, lastStreamId);
  }

  #armGoAwayTimer(): void {
    clearTimeout(this.#goAwayTimer);
    this.#goAwayTimer = undefined;
    const everyMs = this.context.faults.config.goAwayEveryMs;
    if (everyMs <= 0) return;
    this.#goAwayTimer = setTimeout(
      () => this.#faultGoAway(this.context.faults.config.goAwayReason, 0),
      everyMs,
    );
    this.#goAwayTimer.unref();
  }

  /** Stop reading the TCP socket and answering: no RST, no GOAWAY, no PING ACK (nghttp2 never sees the PING). */
  #silence(): void {
    if (this.#silent || this.session.destroyed) return;
    this.#silent = true;
    clearTimeout(this.#goAwayTimer);
    this.session.setTimeout(0);
    const tcp = (this.session.socket as unknown as { _parent?: Socket })._parent;
    // The TLS layer reads the TCP handle natively, so pausing the JS socket would not stop it; readStart is
    // disabled too, in case that layer restarts reading on its own.
    const handle = (tcp as unknown as { _handle?: { readStop?: () => number; readStart?: () => number } })
      ?._handle;
    if (handle?.readStop) {
      handle.readStop();
      handle.readStart = () => 0;
    }
    const timer = setTimeout(() => this.destroy(), SILENT_HOLD_MS);
    timer.unref();
    this.session.once('close', () => clearTimeout(timer));
  }

  /** A TCP reset under the TLS socket: no GOAWAY, every open stream is lost. */
  #resetConnection(): void {
    const session = this.session;
    if (session.destroyed) return;
    try {
      // The session's socket proxy forbids destroy(); its TLS socket's parent is the TCP socket.
      const tcp = (session.socket as unknown as { _parent?: Socket })._parent;
      if (tcp !== undefined && !tcp.destroyed) {
        tcp.resetAndDestroy();
        return;
      }
    } catch {
      // Not a TCP socket underneath: fall back to destroying the session.
    }
    session.destroy();
  }

  #answer(
    stream: ServerHttp2Stream,
    rawHeaders: string[],
    body: Buffer,
    bodyLength: number,
    now: number,
  ): void {
    if (this.#silent) return;
    const { validator, recorder } = this.context;
    const head = parseRequestHead(rawHeaders);
    if (isBroadcastPath(head.path)) {
      const creds = this.credentials;
      this.context.broadcast.answerBroadcast({
        stream,
        raw: rawHeaders,
        body,
        bodyLength,
        creds,
        connectionId: this.id,
        now,
      });
      this.#afterAuthentication();
      return;
    }
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
    this.#afterAuthentication();
    if (stream.destroyed) return;

    if (reason === undefined) {
      const uniqueId = this.context.uniqueIdHeader ? randomUUID() : undefined;
      respondOk(stream, apnsId, uniqueId);
      if (this.context.dropStreamsAfterRejection && this.#authenticated)
        this.#setStreams(this.context.maxStreams);
      recorder.onAcceptedId(apnsId);
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
              uniqueId,
              ...(head.pushType === 'liveactivity'
                ? {
                    warnings: liveActivityWarnings(JSON.parse(req.payload), {
                      broadcast: false,
                      priority: head.priority,
                      topic: head.topic,
                    }),
                  }
                : {}),
            }
          : undefined,
      );
      return;
    }
    const status = statusOf(reason);
    respondError(stream, reason, apnsId, status === 410 ? (req.timestamp ?? now) : undefined);
    if (this.context.dropStreamsAfterRejection) this.#setStreams(1);
    if (status < 500 && status !== 410) {
      const max = this.context.faults.config.disconnectAfterErrors;
      if (max > 0 && ++this.#errorCount >= max) this.#faultGoAway(reason, 0);
    }
    recorder.onRejected(
      reason,
      recorder.keepsRecords
        ? { apnsId, path: head.path ?? '', status, reason, receivedAt: now, connectionId: this.id }
        : undefined,
    );
  }

  /** The first valid provider token raises the stream limit [Apple]. */
  #afterAuthentication(): void {
    if (
      !this.#authenticated &&
      this.credentials.kind === 'token' &&
      this.credentials.auth.teamId !== undefined
    ) {
      this.#authenticated = true;
      this.#setStreams(this.context.maxStreams);
    }
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
