/**
 * Settles confirmed deliveries a slice per event-loop turn. A delivery window closes on every frame of one
 * socket write at once, up to the resend ring (25,000 frames then): settled in one go, with each caller's
 * then-chain running behind it, they held the event loop for 100-400 ms in a legacy bench:e2e (p99 lag 200 ms), and the
 * worker's Redis replies, lock renewals and other apps' reads waited that long. A slice, then `setImmediate`,
 * lets I/O in between; the order of settling is the order of arrival.
 */

/** Deliveries settled per event-loop turn. */
export const DELIVERIES_PER_TURN = 1000;

export class PacedDeliveries<T> {
  readonly #settle: (item: T) => void;
  readonly #perTurn: number;
  #items: T[] = [];
  #head = 0;
  #scheduled = false;

  /** `settle` is called once per item, in the order `add` was given them. */
  constructor(settle: (item: T) => void, perTurn = DELIVERIES_PER_TURN) {
    this.#settle = settle;
    this.#perTurn = Math.max(1, perTurn);
  }

  /** Settle these: the first slice now, the rest in later turns. */
  add(items: readonly T[]): void {
    for (const item of items) this.#items.push(item);
    if (!this.#scheduled) this.#settleSlice();
  }

  #settleSlice = (): void => {
    this.#scheduled = false;
    const end = Math.min(this.#items.length, this.#head + this.#perTurn);
    while (this.#head < end) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T; // not held here once settled
      this.#settle(item);
    }
    if (this.#head < this.#items.length) {
      this.#scheduled = true;
      setImmediate(this.#settleSlice);
    } else {
      this.#items = [];
      this.#head = 0;
    }
  };
}
