/**
 * The per-connection resend buffer (docs/protocol/legacy-binary.md, "Resend buffer"): a FIFO ring of the
 * notifications written on one legacy connection, keyed by the identifier each was written with. Pure: no
 * sockets, no timers.
 *
 *   ring (oldest at head):  [ id 7 | id 8 | id 9 | id 10 | id 11 ]
 *   error 08 ss 00000009    ->  delivered [7, 8]   failed 9   resend [10, 11]
 *   error 08 0a 00000009    ->  delivered [7, 8, 9]           resend [10, 11]   (status 10: 9 was the last OK)
 *   error for id 3 (unknown) -> delivered []  failed -        resend [7..11]    bufferTooSmall
 *
 * Success is silent on this protocol, so "delivered" means "no error named it or anything after it":
 * entries leave the ring as delivered when an error names a later one, when they are evicted by the cap
 * (`append` returns them), or when `drainOlderThan` sees no error arrived within the window. After
 * `onError` the ring is empty: the connection is dead, and everything it held has been classified.
 */
import { ApnsValidationError } from '@pushfleet/apns';
import { checkUint32 } from './validation.js';

/** Status 10 (shutdown): the identifier is the last notification processed successfully. */
export const SHUTDOWN_STATUS = 10;
export const DEFAULT_RESEND_CAPACITY = 1000;

export interface ResendEntry<T> {
  readonly identifier: number;
  readonly notification: T;
  /** When it was appended (the buffer's clock, ms). */
  readonly writtenAt: number;
}

export interface ResendOutcome<T> {
  readonly status: number;
  readonly identifier: number;
  /** The notification the error names (absent for status 10, and when the identifier is unknown). */
  readonly failed?: ResendEntry<T>;
  /** Written after the failed one (or after the last OK one, for status 10): send again on a new connection. */
  readonly resend: ResendEntry<T>[];
  /** Written before it: APNs accepted them. */
  readonly delivered: ResendEntry<T>[];
  /** The identifier was not in the ring (it was evicted, or never written here): all remaining are resent. */
  readonly bufferTooSmall: boolean;
}

export interface ResendBufferOptions {
  /** Entries kept; size it at send rate x worst error latency, with margin. @defaultValue 1000 */
  readonly capacity?: number | undefined;
  /** Clock in ms. @defaultValue Date.now */
  readonly now?: (() => number) | undefined;
}

export class ResendBuffer<T> {
  private readonly cap: number;
  private readonly now: () => number;
  private readonly ids: Uint32Array;
  private readonly times: Float64Array;
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(options: ResendBufferOptions = {}) {
    const cap = options.capacity ?? DEFAULT_RESEND_CAPACITY;
    if (!Number.isInteger(cap) || cap < 1) {
      throw new ApnsValidationError('capacity', `must be a positive integer, got ${String(cap)}`);
    }
    this.cap = cap;
    this.now = options.now ?? Date.now;
    this.ids = new Uint32Array(cap);
    this.times = new Float64Array(cap);
    this.items = new Array<T | undefined>(cap);
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.cap;
  }

  /**
   * Records a written notification. When the ring is full the oldest entry is evicted and returned: no
   * error named it in time, so count it delivered.
   */
  append(identifier: number, notification: T): ResendEntry<T> | undefined {
    checkUint32(identifier, 'identifier');
    let evicted: ResendEntry<T> | undefined;
    if (this.count === this.cap) evicted = this.shift();
    const slot = (this.head + this.count) % this.cap;
    this.ids[slot] = identifier;
    this.times[slot] = this.now();
    this.items[slot] = notification;
    this.count++;
    return evicted;
  }

  /** Classifies everything in the ring after an error response; the ring is left empty. */
  onError(status: number, identifier: number): ResendOutcome<T> {
    const at = this.indexOf(identifier);
    const all = this.removeAll();
    if (at < 0) return { status, identifier, resend: all, delivered: [], bufferTooSmall: true };
    if (status === SHUTDOWN_STATUS) {
      return {
        status,
        identifier,
        delivered: all.slice(0, at + 1),
        resend: all.slice(at + 1),
        bufferTooSmall: false,
      };
    }
    return {
      status,
      identifier,
      failed: all[at]!,
      delivered: all.slice(0, at),
      resend: all.slice(at + 1),
      bufferTooSmall: false,
    };
  }

  /** Removes and returns (as delivered) the entries written at least `ms` ago: no error came in time. */
  drainOlderThan(ms: number): ResendEntry<T>[] {
    const cutoff = this.now() - ms;
    const out: ResendEntry<T>[] = [];
    while (this.count > 0 && this.times[this.head]! <= cutoff) out.push(this.shift());
    return out;
  }

  /**
   * Removes and returns everything, oldest first: for a socket that closed with no error packet, whose
   * tail must be resent if duplicates are acceptable: what landed is unknowable, and our delivery is
   * at-least-once.
   */
  removeAll(): ResendEntry<T>[] {
    const out: ResendEntry<T>[] = new Array(this.count);
    for (let i = 0; i < out.length; i++) out[i] = this.shift();
    return out;
  }

  /** Position from the oldest (0-based) of the entry with this identifier, or -1. */
  private indexOf(identifier: number): number {
    for (let i = 0; i < this.count; i++) {
      if (this.ids[(this.head + i) % this.cap] === identifier) return i;
    }
    return -1;
  }

  private shift(): ResendEntry<T> {
    const h = this.head;
    const entry = { identifier: this.ids[h]!, notification: this.items[h] as T, writtenAt: this.times[h]! };
    this.items[h] = undefined;
    this.head = (h + 1) % this.cap;
    this.count--;
    return entry;
  }
}
