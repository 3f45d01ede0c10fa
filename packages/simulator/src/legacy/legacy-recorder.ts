/**
 * What the legacy gateway saw: every notification it accepted and every error response it sent, in
 * arrival order, with counters, and `waitFor(n)` so tests wait for arrivals instead of sleeping.
 *
 * Mode `all` keeps records (the newest `limit`); mode `counters` only counts (benchmarks, long runs).
 */
import type { RecordMode, WaitForOptions } from '../server/recorder.js';

/** One notification the gateway accepted (no error response named it). */
export interface LegacyRecordedNotification {
  /** Device token, lowercase hex. */
  readonly token: string;
  /** The connecting certificate's UID (the binary protocol carries no topic). */
  readonly topic: string;
  /** The payload, UTF-8. */
  readonly payload: string;
  /** The identifier read big-endian (0 for command 0, and for command 2 without item 3). */
  readonly identifier: number;
  readonly expiry: number;
  readonly priority: number;
  readonly command: 0 | 1 | 2;
  /** Arrival time, ms since the epoch. */
  readonly receivedAt: number;
  /** Which connection carried it (1, 2, ... per gateway). */
  readonly connectionId: number;
}

/** One error response the gateway sent (or, for command 0, the silent close that replaces it). */
export interface LegacyRecordedRejection {
  /** The rejected notification's token, when the frame could be read. */
  readonly token: string | undefined;
  readonly status: number;
  readonly identifier: number;
  readonly command: number;
  /** What was wrong, for logs. */
  readonly problem: string;
  readonly receivedAt: number;
  readonly connectionId: number;
}

export interface LegacyRecorderCounters {
  readonly accepted: number;
  readonly rejected: number;
  /** Error responses per status byte (10 = shutdown, counted here but not as a rejection). */
  readonly byStatus: Readonly<Record<number, number>>;
  /** TLS connections that passed the certificate check. */
  readonly connections: number;
  /** Connections closed at once for a certificate of the wrong environment or not a push certificate. */
  readonly refusedConnections: number;
}

interface Waiter {
  readonly n: number;
  readonly resolve: (records: readonly LegacyRecordedNotification[]) => void;
}

export class LegacyRecorder {
  readonly #accepted: LegacyRecordedNotification[] = [];
  readonly #rejected: LegacyRecordedRejection[] = [];
  #acceptedCount = 0;
  #rejectedCount = 0;
  #byStatus: Record<number, number> = {};
  #connections = 0;
  #refused = 0;
  #waiters: Waiter[] = [];

  constructor(
    readonly mode: RecordMode = 'all',
    readonly limit = 1_000_000,
  ) {}

  /** Accepted notifications, oldest first (empty in `counters` mode). */
  get accepted(): readonly LegacyRecordedNotification[] {
    return this.#accepted;
  }

  /** Error responses sent, oldest first (empty in `counters` mode). */
  get rejected(): readonly LegacyRecordedRejection[] {
    return this.#rejected;
  }

  get counters(): LegacyRecorderCounters {
    return {
      accepted: this.#acceptedCount,
      rejected: this.#rejectedCount,
      byStatus: { ...this.#byStatus },
      connections: this.#connections,
      refusedConnections: this.#refused,
    };
  }

  /** Resolves once `n` notifications were accepted since the last clear(). */
  waitFor(n: number, options: WaitForOptions = {}): Promise<readonly LegacyRecordedNotification[]> {
    if (this.#acceptedCount >= n) return Promise.resolve(this.#accepted.slice());
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`legacy waitFor(${n}): only ${this.#acceptedCount} accepted after ${timeoutMs} ms`));
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

  /** Forget records and counts. */
  clear(): void {
    this.#accepted.length = 0;
    this.#rejected.length = 0;
    this.#acceptedCount = 0;
    this.#rejectedCount = 0;
    this.#byStatus = {};
    this.#connections = 0;
    this.#refused = 0;
  }

  /** @internal */
  get keepsRecords(): boolean {
    return this.mode === 'all';
  }

  /** @internal */
  onConnection(refused: boolean): void {
    if (refused) this.#refused++;
    else this.#connections++;
  }

  /** @internal */
  onAccepted(record: LegacyRecordedNotification | undefined): void {
    this.#acceptedCount++;
    if (record !== undefined && this.mode === 'all') push(this.#accepted, record, this.limit);
    if (this.#waiters.length > 0) this.#wake();
  }

  /** @internal Status 10 is counted per status but is not a rejection. */
  onErrorResponse(record: LegacyRecordedRejection): void {
    this.#byStatus[record.status] = (this.#byStatus[record.status] ?? 0) + 1;
    if (record.status === 10) return;
    this.#rejectedCount++;
    if (this.mode === 'all') push(this.#rejected, record, this.limit);
  }

  #wake(): void {
    const count = this.#acceptedCount;
    const ready = this.#waiters.filter((w) => w.n <= count);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.n > count);
    for (const w of ready) w.resolve(this.#accepted.slice());
  }
}

function push<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit + Math.max(1, Math.floor(limit / 10))) list.splice(0, list.length - limit);
}
