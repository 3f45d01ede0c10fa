/**
 * What the simulator saw: every accepted notification (and every rejection) in arrival order, counters
 * per outcome and reason, and `waitFor(n)` so tests wait for arrivals instead of sleeping.
 *
 * Mode `all` keeps records (the newest `limit` of each list); mode `counters` keeps only the counts, for
 * long runs and benchmarks. Counts and `waitFor` never depend on what is retained.
 */

/** One notification the simulator answered 200. */
export interface RecordedNotification {
  /** The `apns-id` answered (the client's, or the one generated). */
  readonly apnsId: string;
  /** Device token from `:path`, as sent. */
  readonly token: string;
  /** The topic as resolved (the certificate UID when `apns-topic` was omitted). */
  readonly topic: string;
  /** Every `apns-*` request header as sent (`authorization` is never recorded). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, UTF-8. */
  readonly payload: string;
  /** Arrival time, ms since the epoch. */
  readonly receivedAt: number;
  /** Which connection carried it (1, 2, ... per simulator). */
  readonly connectionId: number;
  readonly auth: 'token' | 'certificate';
  /** Team of the provider token, or the certificate's OU. */
  readonly teamId: string | undefined;
}

/** One request the simulator rejected. */
export interface RecordedRejection {
  readonly apnsId: string;
  /** `:path` as sent. */
  readonly path: string;
  readonly status: number;
  readonly reason: string;
  readonly receivedAt: number;
  readonly connectionId: number;
}

export interface RecorderCounters {
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections per reason string. */
  readonly byReason: Readonly<Record<string, number>>;
}

export type RecordMode = 'all' | 'counters';

export interface WaitForOptions {
  /** @defaultValue 5000 */
  readonly timeoutMs?: number | undefined;
}

interface Waiter {
  readonly n: number;
  readonly resolve: (records: readonly RecordedNotification[]) => void;
}

export class Recorder {
  readonly #accepted: RecordedNotification[] = [];
  readonly #rejected: RecordedRejection[] = [];
  #acceptedCount = 0;
  #rejectedCount = 0;
  #byReason: Record<string, number> = {};
  #waiters: Waiter[] = [];

  constructor(
    readonly mode: RecordMode = 'all',
    readonly limit = 100_000,
  ) {}

  /** Accepted notifications, oldest first (the newest `limit`; empty in `counters` mode). */
  get accepted(): readonly RecordedNotification[] {
    return this.#accepted;
  }

  /** Rejected requests, oldest first (the newest `limit`; empty in `counters` mode). */
  get rejected(): readonly RecordedRejection[] {
    return this.#rejected;
  }

  get counters(): RecorderCounters {
    return { accepted: this.#acceptedCount, rejected: this.#rejectedCount, byReason: { ...this.#byReason } };
  }

  /** Resolves with the retained records once `n` notifications have been accepted since the last clear(). */
  waitFor(n: number, options: WaitForOptions = {}): Promise<readonly RecordedNotification[]> {
    if (this.#acceptedCount >= n) return Promise.resolve(this.#accepted.slice());
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(`recorder.waitFor(${n}): only ${this.#acceptedCount} accepted after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const waiter: Waiter = {
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
    this.#byReason = {};
  }

  /** Whether records are kept (`all` mode): callers build a record only then. @internal */
  get keepsRecords(): boolean {
    return this.mode === 'all';
  }

  /** Count an acceptance, keeping `record` in `all` mode. @internal */
  onAccepted(record: RecordedNotification | undefined): void {
    this.#acceptedCount++;
    if (record !== undefined && this.mode === 'all') push(this.#accepted, record, this.limit);
    if (this.#waiters.length > 0) this.#wake();
  }

  /** Count a rejection, keeping `record` in `all` mode. @internal */
  onRejected(reason: string, record: RecordedRejection | undefined): void {
    this.#rejectedCount++;
    this.#byReason[reason] = (this.#byReason[reason] ?? 0) + 1;
    if (record !== undefined && this.mode === 'all') push(this.#rejected, record, this.limit);
  }

  #wake(): void {
    const ready = this.#waiters.filter((w) => w.n <= this.#acceptedCount);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.n > this.#acceptedCount);
    for (const w of ready) w.resolve(this.#accepted.slice());
  }
}

/** Append, trimming the oldest tenth once the list is over its limit (amortised O(1)). */
function push<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit + Math.max(1, Math.floor(limit / 10))) list.splice(0, list.length - limit);
}
