/**
 * What the legacy gateway saw: every notification it accepted and every error response it sent, in
 * arrival order, with counters, and `waitFor(n)` so tests wait for arrivals instead of sleeping.
 *
 * Mode `all` keeps records (the newest `limit`); mode `counters` only counts (benchmarks, long runs).
 */
import { RecordLog, type RecordMode } from '../server/record-log.js';

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

export class LegacyRecorder extends RecordLog<LegacyRecordedNotification, LegacyRecordedRejection> {
  #byStatus: Record<number, number> = {};
  #connections = 0;
  #refused = 0;

  constructor(mode: RecordMode = 'all', limit = 1_000_000) {
    super(mode, limit, 'legacy recorder');
  }

  get counters(): LegacyRecorderCounters {
    return {
      accepted: this.acceptedCount,
      rejected: this.rejectedCount,
      byStatus: { ...this.#byStatus },
      connections: this.#connections,
      refusedConnections: this.#refused,
    };
  }

  /** Forget records and counts. */
  override clear(): void {
    super.clear();
    this.#byStatus = {};
    this.#connections = 0;
    this.#refused = 0;
  }

  /** @internal */
  onConnection(refused: boolean): void {
    if (refused) this.#refused++;
    else this.#connections++;
  }

  /** @internal Status 10 is counted per status but is not a rejection. */
  onErrorResponse(record: LegacyRecordedRejection): void {
    this.#byStatus[record.status] = (this.#byStatus[record.status] ?? 0) + 1;
    if (record.status === 10) return;
    this.addRejected(record);
  }
}
