import type { PoolRequest } from './pool-request.js';

/**
 * Requests waiting for a stream slot, first in first out: an array read from a moving head, compacted now and
 * then. Requests that time out while waiting are taken out at once (`expire`), so what `shift` returns is never
 * a hole and never settled.
 */
export class WaitingRequests {
  #items: PoolRequest[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(pending: PoolRequest): void {
    this.#items.push(pending);
  }

  /** The oldest request that is still unsettled, removed; undefined when none waits. */
  shift(): PoolRequest | undefined {
    while (this.#head < this.#items.length) {
      const pending = this.#items[this.#head++]!;
      if (!pending.settled) {
        this.#compact();
        return pending;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Take out every request whose deadline passed, oldest first, and hand each to `onExpired`. */
  expire(now: number, onExpired: (pending: PoolRequest) => void): void {
    let expired: PoolRequest[] | undefined;
    for (let i = this.#head; i < this.#items.length; i++) {
      const pending = this.#items[i]!;
      if (pending.settled || now >= pending.deadline) (expired ??= []).push(pending);
    }
    if (expired === undefined) return;
    this.#items = this.#items.slice(this.#head).filter((p) => !p.settled && now < p.deadline);
    this.#head = 0;
    for (const pending of expired) if (!pending.settled) onExpired(pending);
  }

  /** Empty the queue; returns what waited, oldest first. */
  takeAll(): PoolRequest[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return all;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
