/**
 * One TLS connection to a legacy gateway, owned by {@link LegacyClient}:
 * it writes batches of frames, keeps the resend buffer, and reports what the gateway did.
 *
 *   connecting ──secureConnect──▶ grace (connectGraceMs; 0 once the client's certificate was accepted)
 *        │                           │ closed / error / any byte            │ still open
 *        ▼                           ▼                                      ▼
 *   onConnectFailed ◀────────────────┘                                     open ──▶ onOpen
 *   open: write(batch) ─▶ one socket.write of every frame (FrameEncoder, one identifier each)
 *         its callback ─▶ the batch's delivery window starts; no error by its end ─▶ onDelivered
 *         `08 ss iiii` ─▶ ResendBuffer.onError ─▶ onErrorResponse (connection retired, socket ended)
 *         close, no error packet ─▶ onClosed(everything still in the resend buffer)
 *
 * Delivery windows start when a batch has left for the kernel (the write callback), not when it was
 * encoded, so a stalled socket never makes unsent notifications look delivered. The resend buffer runs on a
 * logical clock, the batch number: draining "older than 0" at batch k takes exactly batches 1..k.
 */
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { TransportError } from '@pushfleet/apns';
import { ErrorResponseDecoder } from './error-response.js';
import { FrameEncoder } from './frame-encoder.js';
import { ResendBuffer, type ResendEntry, type ResendOutcome } from './resend-buffer.js';
import type { LegacyPriority } from './wire.js';

/** What the connection needs of a notification. */
export interface LegacyFrame {
  /** 64 lowercase hex digits (validated by the client). */
  readonly token: string;
  readonly payload: Buffer;
  readonly expiry: number;
  readonly priority: LegacyPriority;
}

export interface LegacyConnectionOwner<T extends LegacyFrame> {
  onOpen(connection: LegacyConnection<T>): void;
  onConnectFailed(connection: LegacyConnection<T>, error: TransportError): void;
  /** A batch finished writing: the connection can take more. */
  onWritable(connection: LegacyConnection<T>): void;
  onDelivered(connection: LegacyConnection<T>, entries: ResendEntry<T>[]): void;
  onErrorResponse(connection: LegacyConnection<T>, outcome: ResendOutcome<T>): void;
  /** Closed with no error packet: `unconfirmed` were written and their fate is unknown. */
  onClosed(connection: LegacyConnection<T>, unconfirmed: ResendEntry<T>[], cause: Error | undefined): void;
}

export interface LegacyConnectionOptions {
  readonly tls: ConnectionOptions;
  /** For messages: `host:port`. */
  readonly address: string;
  readonly graceMs: number;
  readonly connectTimeoutMs: number;
  readonly deliveryWindowMs: number;
  readonly capacity: number;
  readonly maxPayloadBytes: number;
}

type State = 'connecting' | 'open' | 'retired';

interface Batch {
  readonly seq: number;
  readonly doneAt: number;
}

export class LegacyConnection<T extends LegacyFrame> {
  readonly #options: LegacyConnectionOptions;
  readonly #owner: LegacyConnectionOwner<T>;
  readonly #socket: TLSSocket;
  readonly #encoder: FrameEncoder;
  readonly #resend: ResendBuffer<T>;
  readonly #errors = new ErrorResponseDecoder();
  readonly #batches: Batch[] = [];
  #state: State = 'connecting';
  #writing = false;
  #seq = 0;
  #clock = 0;
  #timer: NodeJS.Timeout | undefined;
  #windowTimer: NodeJS.Timeout | undefined;
  #cause: Error | undefined;
  #handshaken = false;

  constructor(options: LegacyConnectionOptions, owner: LegacyConnectionOwner<T>) {
    this.#options = options;
    this.#owner = owner;
    this.#encoder = new FrameEncoder({ maxPayloadBytes: options.maxPayloadBytes });
    this.#resend = new ResendBuffer<T>({ capacity: options.capacity, now: () => this.#clock });
    this.#socket = connect(options.tls);
    this.#socket.setNoDelay(true);
    this.#timer = setTimeout(
      () => this.#failConnect(`no TLS connection within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
    this.#socket.once('secureConnect', () => this.#onSecureConnect());
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (error) => {
      this.#cause ??= error;
    });
    this.#socket.once('close', () => this.#onClose());
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  /** Frames the connection can take now: 0 while a write is in flight or the resend buffer is full. */
  get room(): number {
    if (this.#state !== 'open' || this.#writing) return 0;
    return this.#resend.capacity - this.#resend.size;
  }

  /** Written, waiting for their delivery window. */
  get inFlight(): number {
    return this.#resend.size;
  }

  /** Encode `frames` (at most `room`) and write them with one socket write. */
  write(frames: readonly T[]): void {
    if (frames.length === 0) return;
    if (frames.length > this.room) throw new RangeError(`write: ${frames.length} frames > room ${this.room}`);
    const seq = ++this.#seq;
    this.#clock = seq;
    // The batch encoders (SIMD hex kernel) do the encoding: a run of frames with one payload is a fan-out,
    // a run with one expiry and priority a batch of distinct payloads.
    for (let from = 0; from < frames.length; ) {
      const head = frames[from]!;
      let fan = from + 1;
      while (fan < frames.length && sameFanOut(head, frames[fan]!)) fan++;
      let to = fan;
      if (fan - from === 1)
        while (
          to < frames.length &&
          sameTrailer(head, frames[to]!) &&
          !sameFanOut(frames[to - 1]!, frames[to]!)
        )
          to++;
      const run = frames.slice(from, to);
      const first =
        fan - from > 1
          ? this.#encoder.writeFanOut(tokensOf(run), head.payload, head.expiry, head.priority)
          : this.#encoder.writeBatch(
              tokensOf(run),
              run.map((f) => f.payload),
              head.expiry,
              head.priority,
            );
      for (let i = 0; i < run.length; i++) this.#resend.append((first + i) >>> 0, run[i]!);
      from = to;
    }
    this.#writing = true;
    // take(): the view stays valid until the next encoder write, which waits for this callback.
    this.#socket.write(this.#encoder.take(), (error) => {
      if (this.#state !== 'open') return;
      this.#writing = false;
      if (error) return; // 'close' follows and reports the unconfirmed tail
      this.#batches.push({ seq, doneAt: performance.now() });
      this.#armWindow();
      this.#owner.onWritable(this);
    });
  }

  /** Planned close: end the TLS session (call once nothing is in flight). */
  end(): void {
    if (this.#state === 'retired') return;
    this.#retire();
    this.#socket.end();
  }

  /** Drop the connection at once; the owner hears nothing more. */
  destroy(): void {
    this.#retire();
    this.#socket.destroy();
  }

  #onSecureConnect(): void {
    this.#handshaken = true;
    clearTimeout(this.#timer);
    if (this.#options.graceMs <= 0) {
      this.#becomeOpen();
      return;
    }
    this.#timer = setTimeout(() => this.#becomeOpen(), this.#options.graceMs);
  }

  #becomeOpen(): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    this.#owner.onOpen(this);
  }

  #onData(chunk: Buffer): void {
    if (this.#state === 'connecting') {
      this.#failConnect(`the gateway sent ${chunk.length} bytes before any notification`);
      return;
    }
    if (this.#state !== 'open') return;
    let packets: ReturnType<ErrorResponseDecoder['push']>;
    try {
      packets = this.#errors.push(chunk);
    } catch (error) {
      this.#cause = error as Error;
      this.#socket.destroy();
      return; // 'close' reports the unconfirmed tail
    }
    const first = packets[0];
    if (first === undefined) return;
    // Apple writes one packet and closes; anything after it on this connection is meaningless.
    const outcome = this.#resend.onError(first.status, first.identifier);
    this.#retire();
    this.#socket.end();
    this.#owner.onErrorResponse(this, outcome);
  }

  #onClose(): void {
    const state = this.#state;
    this.#retire();
    if (state === 'connecting') {
      this.#owner.onConnectFailed(this, this.#closedWhileConnecting());
    } else if (state === 'open') {
      this.#owner.onClosed(this, this.#resend.removeAll(), this.#cause);
    }
  }

  #failConnect(why: string): void {
    if (this.#state !== 'connecting') return;
    this.#retire();
    this.#socket.destroy();
    this.#owner.onConnectFailed(this, this.#connectError(why));
  }

  #connectError(why: string): TransportError {
    const address = this.#options.address;
    return new TransportError('CONNECT_FAILED', `legacy gateway ${address}: ${why}`, { cause: this.#cause });
  }

  /**
   * Closed while connecting: after a clean handshake with no error, this is how the gateway refuses a
   * certificate for the other environment [Seen].
   */
  #closedWhileConnecting(): TransportError {
    if (this.#handshaken && this.#cause === undefined) {
      return this.#connectError(
        'closed the connection right after the TLS handshake, with no error packet: the client ' +
          'certificate is probably for the other environment, or not a push certificate',
      );
    }
    return this.#connectError(this.#cause?.message ?? 'connection closed');
  }

  #retire(): void {
    this.#state = 'retired';
    clearTimeout(this.#timer);
    clearTimeout(this.#windowTimer);
    this.#batches.length = 0;
  }

  #armWindow(): void {
    if (this.#windowTimer !== undefined || this.#batches.length === 0) return;
    const due = this.#batches[0]!.doneAt + this.#options.deliveryWindowMs - performance.now();
    this.#windowTimer = setTimeout(() => this.#drainWindows(), Math.max(0, Math.ceil(due)));
  }

  #drainWindows(): void {
    this.#windowTimer = undefined;
    if (this.#state !== 'open') return;
    const cutoff = performance.now() - this.#options.deliveryWindowMs;
    let last = 0;
    while (this.#batches.length > 0 && this.#batches[0]!.doneAt <= cutoff) last = this.#batches.shift()!.seq;
    if (last > 0) {
      this.#clock = last;
      const delivered = this.#resend.drainOlderThan(0);
      this.#clock = this.#seq;
      if (delivered.length > 0) this.#owner.onDelivered(this, delivered);
    }
    this.#armWindow();
  }
}

const tokensOf = (frames: readonly LegacyFrame[]) => frames.map((f) => f.token);
const sameTrailer = (a: LegacyFrame, b: LegacyFrame) => a.expiry === b.expiry && a.priority === b.priority;
/** One fan-out: the same payload bytes (usually the same Buffer), expiry and priority. */
const sameFanOut = (a: LegacyFrame, b: LegacyFrame) =>
  sameTrailer(a, b) && (a.payload === b.payload || a.payload.equals(b.payload));
