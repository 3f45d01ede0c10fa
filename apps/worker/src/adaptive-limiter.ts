/**
 * How many of an app's notifications may be in flight at once: the transport's capacity (HTTP/2: the open
 * sessions' stream limits; legacy: the resend ring a delivery window holds), lowered AIMD-style (TCP's answer
 * to congestion) while APNs throttles. Each 429 `TooManyRequests` halves the limit (at most once per
 * `decreaseIntervalMs`, so one burst of 429s counts once); each answer that is not one raises it by 1/limit
 * (about +1 per round of `limit` answers) until it reaches the capacity again, which it then follows. One
 * limiter wraps one app's sender, so a throttled app slows down alone. Sends over the limit wait here, with no
 * deadline, so a large job never times out its tail in the transport's queue.
 */
import type { ApnsRequest, SendReceiver, Verdict } from '@pushfleet/apns';
import type { PushSender } from './notification-attempt.js';

export interface AdaptiveLimiterOptions {
  /**
   * Requests the transport can carry at once now; 0 while it has no open connection (then one request goes
   * ahead, to open it). @defaultValue no transport limit, only `max`
   */
  readonly capacity?: (() => number) | undefined;
  /** A ceiling of our own, below the transport's. @defaultValue no ceiling with `capacity`, else 1000 */
  readonly max?: number;
  /** Never fewer in flight than this. @defaultValue 1 */
  readonly min?: number;
  /** Halve at most once per this long. @defaultValue 100 */
  readonly decreaseIntervalMs?: number;
  /** Called when throttling changes the limit (a gauge; the capacity's own changes are read at scrape). */
  readonly onLimit?: (limit: number) => void;
}

/** A send waiting for a slot. */
interface Waiter {
  readonly request: ApnsRequest;
  readonly receiver: SendReceiver;
}

/** A send holding a slot: frees it when the transport tells how the send ended, then tells the caller. */
class SlotReceiver implements SendReceiver {
  readonly #limiter: AdaptiveLimiter;
  readonly #receiver: SendReceiver;
  constructor(limiter: AdaptiveLimiter, receiver: SendReceiver) {
    this.#limiter = limiter;
    this.#receiver = receiver;
  }
  resolve(verdict: Verdict): void {
    this.#limiter.answered(verdict);
    this.#receiver.resolve(verdict);
  }
  reject(error: Error): void {
    this.#limiter.released();
    this.#receiver.reject(error);
  }
}

export class AdaptiveLimiter implements PushSender {
  readonly #inner: PushSender;
  readonly #capacity: (() => number) | undefined;
  readonly #max: number;
  readonly #min: number;
  readonly #decreaseIntervalMs: number;
  readonly #onLimit: ((limit: number) => void) | undefined;
  /** The throttled limit; +Infinity while not throttled (the ceiling applies alone). */
  #throttled = Number.POSITIVE_INFINITY;
  #inFlight = 0;
  #lastDecrease = 0;
  /** Sends waiting for a slot, oldest first; `#head` is the next to wake (no Array#shift: it is O(n)). */
  #waiting: (Waiter | undefined)[] = [];
  #head = 0;
  #wakeScheduled = false;

  constructor(inner: PushSender, options: AdaptiveLimiterOptions = {}) {
    this.#inner = inner;
    this.#capacity = options.capacity;
    this.#max = options.max ?? (options.capacity ? Number.POSITIVE_INFINITY : 1000);
    this.#min = options.min ?? 1;
    this.#decreaseIntervalMs = options.decreaseIntervalMs ?? 100;
    this.#onLimit = options.onLimit;
    if (inner.recycleConnections) this.recycleConnections = () => inner.recycleConnections?.();
  }

  recycleConnections?: () => void;

  /** The most the transport and our ceiling allow now, unthrottled. */
  get ceiling(): number {
    const capacity = this.#capacity?.();
    return capacity === undefined ? this.#max : Math.min(this.#max, Math.max(1, capacity));
  }

  /** The current limit (whole notifications). */
  get limit(): number {
    return Math.max(this.#min, Math.floor(Math.min(this.#throttled, this.ceiling)));
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Sends waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  submit(request: ApnsRequest, receiver: SendReceiver): void {
    // A free slot is taken at once unless others wait; a waiter is woken with its slot already reserved.
    if (this.#inFlight < this.limit && this.#head === this.#waiting.length) {
      this.#inFlight++;
      this.#submitNow(request, receiver);
      return;
    }
    this.#waiting.push({ request, receiver });
  }

  /** Send holding a slot; the slot is freed when the answer (or the error) comes. */
  #submitNow(request: ApnsRequest, receiver: SendReceiver): void {
    try {
      this.#inner.submit(request, new SlotReceiver(this, receiver));
    } catch (err) {
      this.released(); // a transport tells errors to the receiver; one that throws is treated alike
      receiver.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * The transport's capacity may have grown (a connection opened): waiters go out now. Otherwise they would
   * wait for the next answer, a whole delivery window (500 ms) on a legacy connection that had none open.
   */
  capacityChanged(): void {
    this.#scheduleWake();
  }

  /** A send holding a slot was answered: for its SlotReceiver, not for callers. */
  answered(verdict: Verdict): void {
    if (verdict.reason === 'TooManyRequests') this.#decrease();
    else this.#increase();
    this.released();
  }

  /** A send holding a slot ended (for its SlotReceiver): waiters are woken once the transport's callback returned. */
  released(): void {
    this.#inFlight--;
    this.#scheduleWake();
  }

  #scheduleWake(): void {
    if (this.#wakeScheduled || this.#head === this.#waiting.length) return;
    // The transport tells its receivers (and its listener) from inside its own read or close handling:
    // sending from there would re-enter it, so the woken sends go out in a microtask, all at once.
    this.#wakeScheduled = true;
    queueMicrotask(this.#scheduledWake);
  }

  readonly #scheduledWake = (): void => {
    this.#wakeScheduled = false;
    this.#wake();
  };

  #decrease(): void {
    const now = Date.now();
    if (now - this.#lastDecrease < this.#decreaseIntervalMs) return;
    this.#lastDecrease = now;
    this.#set(Math.max(this.#min, this.limit / 2));
  }

  #increase(): void {
    if (this.#throttled === Number.POSITIVE_INFINITY) return;
    const next = this.#throttled + 1 / this.#throttled;
    // Back at the ceiling: follow it again (the capacity may grow as sessions open).
    this.#set(next >= this.ceiling ? Number.POSITIVE_INFINITY : next);
  }

  #set(throttled: number): void {
    const before = this.limit;
    this.#throttled = throttled;
    if (this.limit !== before) this.#onLimit?.(this.limit);
  }

  /** Hand each free slot to the oldest waiter, in arrival order. */
  #wake(): void {
    const limit = this.limit;
    while (this.#inFlight < limit && this.#head < this.#waiting.length) {
      this.#inFlight++;
      const waiter = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = undefined; // the woken request is not held here until the list empties
      this.#submitNow(waiter.request, waiter.receiver);
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
