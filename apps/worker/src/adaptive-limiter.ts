/**
 * Throttling, per app: how many of the app's notifications may be in flight at once, adapted AIMD-style
 * (TCP's answer to congestion). Each 429 `TooManyRequests` halves the limit (at most once per
 * `decreaseIntervalMs`, so one burst of 429s counts once); each answer that is not one raises it by
 * 1/limit (about +1 per round of `limit` answers) back up to `max`. One limiter wraps one app's sender, so a
 * throttled app slows down alone.
 */
import type { ApnsRequest, Verdict } from '@pushfleet/apns';
import type { PushSender } from './notification-attempt.js';

export interface AdaptiveLimiterOptions {
  /** The most in flight (the transport's own limits still apply below it). @defaultValue 1000 */
  readonly max?: number;
  /** Never fewer in flight than this. @defaultValue 1 */
  readonly min?: number;
  /** Halve at most once per this long. @defaultValue 100 */
  readonly decreaseIntervalMs?: number;
  /** Called when the limit changes (a gauge). */
  readonly onLimit?: (limit: number) => void;
}

export class AdaptiveLimiter implements PushSender {
  readonly #inner: PushSender;
  readonly #max: number;
  readonly #min: number;
  readonly #decreaseIntervalMs: number;
  readonly #onLimit: ((limit: number) => void) | undefined;
  #limit: number;
  #inFlight = 0;
  #lastDecrease = 0;
  /** Sends waiting for a slot, oldest first; `#head` is the next to wake (no Array#shift: it is O(n)). */
  #waiting: (() => void)[] = [];
  #head = 0;

  constructor(inner: PushSender, options: AdaptiveLimiterOptions = {}) {
    this.#inner = inner;
    this.#max = options.max ?? 1000;
    this.#min = options.min ?? 1;
    this.#decreaseIntervalMs = options.decreaseIntervalMs ?? 100;
    this.#onLimit = options.onLimit;
    this.#limit = this.#max;
    if (inner.recycleConnections) this.recycleConnections = () => inner.recycleConnections?.();
  }

  recycleConnections?: () => void;

  /** The current limit (whole notifications). */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async send(request: ApnsRequest): Promise<Verdict> {
    // A free slot is taken at once unless others wait; a waiter is woken with its slot already reserved.
    if (this.#inFlight < this.limit && this.#head === this.#waiting.length) this.#inFlight++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      const verdict = await this.#inner.send(request);
      if (verdict.reason === 'TooManyRequests') this.#decrease();
      else this.#increase();
      return verdict;
    } finally {
      this.#inFlight--;
      this.#wake();
    }
  }

  #decrease(): void {
    const now = Date.now();
    if (now - this.#lastDecrease < this.#decreaseIntervalMs) return;
    this.#lastDecrease = now;
    this.#set(Math.max(this.#min, this.#limit / 2));
  }

  #increase(): void {
    if (this.#limit < this.#max) this.#set(Math.min(this.#max, this.#limit + 1 / this.#limit));
  }

  #set(limit: number): void {
    const before = this.limit;
    this.#limit = limit;
    if (this.limit !== before) this.#onLimit?.(this.limit);
  }

  /** Hand each free slot to the oldest waiter, in arrival order. */
  #wake(): void {
    while (this.#inFlight < this.limit && this.#head < this.#waiting.length) {
      this.#inFlight++;
      this.#waiting[this.#head++]?.();
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }
}
