/**
 * What both recorders (HTTP/2 and legacy) share: accepted and rejected records in arrival order, trimmed to
 * the newest `limit` in `all` mode and not kept at all in `counters` mode, their counts, and `waitFor(n)` so
 * tests wait for arrivals instead of sleeping. Counts and `waitFor` never depend on what is retained.
 */

export type RecordMode = 'all' | 'counters';

export interface WaitForOptions {
  /** @defaultValue 5000 */
  readonly timeoutMs?: number | undefined;
}

interface Waiter<A> {
  readonly n: number;
  readonly resolve: (records: readonly A[]) => void;
}

export class RecordLog<A, R> {
  readonly #accepted: A[] = [];
  readonly #rejected: R[] = [];
  #acceptedCount = 0;
  #rejectedCount = 0;
  #waiters: Waiter<A>[] = [];

  readonly #label: string;

  constructor(
    readonly mode: RecordMode,
    readonly limit: number,
    label: string,
  ) {
    this.#label = label;
  }

  /** Accepted notifications, oldest first (the newest `limit`; empty in `counters` mode). */
  get accepted(): readonly A[] {
    return this.#accepted;
  }

  /** Rejections, oldest first (the newest `limit`; empty in `counters` mode). */
  get rejected(): readonly R[] {
    return this.#rejected;
  }

  protected get acceptedCount(): number {
    return this.#acceptedCount;
  }

  protected get rejectedCount(): number {
    return this.#rejectedCount;
  }

  /** Whether records are kept (`all` mode): callers build a record only then. @internal */
  get keepsRecords(): boolean {
    return this.mode === 'all';
  }

  /** Resolves with the retained records once `n` notifications have been accepted since the last clear(). */
  waitFor(n: number, options: WaitForOptions = {}): Promise<readonly A[]> {
    if (this.#acceptedCount >= n) return Promise.resolve(this.#accepted.slice());
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `${this.#label}.waitFor(${n}): only ${this.#acceptedCount} accepted after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter<A> = {
        n,
        resolve: (records) => {
          clearTimeout(timer);
          resolve(records);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Forget records and counts (pending waitFor calls keep waiting, counting from zero). */
  clear(): void {
    this.#accepted.length = 0;
    this.#rejected.length = 0;
    this.#acceptedCount = 0;
    this.#rejectedCount = 0;
  }

  /** Count an acceptance, keeping `record` in `all` mode. @internal */
  onAccepted(record: A | undefined): void {
    this.#acceptedCount++;
    if (record !== undefined && this.mode === 'all') push(this.#accepted, record, this.limit);
    if (this.#waiters.length > 0) this.#wake();
  }

  /** Count a rejection, keeping `record` in `all` mode. */
  protected addRejected(record: R | undefined): void {
    this.#rejectedCount++;
    if (record !== undefined && this.mode === 'all') push(this.#rejected, record, this.limit);
  }

  #wake(): void {
    const count = this.#acceptedCount;
    const ready = this.#waiters.filter((w) => w.n <= count);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.n > count);
    for (const w of ready) w.resolve(this.#accepted.slice());
  }
}

/** Append, trimming the oldest tenth once the list is over its limit (amortised O(1)). */
function push<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit + Math.max(1, Math.floor(limit / 10))) list.splice(0, list.length - limit);
}
