import { type RecordMode as LogMode, RecordLog } from './record-log.js';

/**
 * What the simulator saw: every accepted notification (and every rejection) in arrival order, counters
 * per outcome and reason, and `waitFor(n)` so tests wait for arrivals instead of sleeping.
 *
 * Mode `all` keeps records (the newest `limit` of each list); mode `counters` keeps only the counts, for
 * long runs and benchmarks; mode `ids` keeps the counts and, per accepted apns-id, how many times it was
 * accepted (no payloads: a duplicate count for a chaos run of 100,000 costs a map of ids). Counts and
 * `waitFor` never depend on what is retained.
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
  /** The `apns-unique-id` answered (development environment), the key of Apple's delivery log. */
  readonly uniqueId: string | undefined;
  /** Live Activity pushes only: what a device would drop though APNs accepts it (broadcast/live-activity-lint.ts). */
  readonly warnings?: readonly string[] | undefined;
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
  /**
   * Distinct provider tokens (JWTs) accepted, over every connection: a fleet sharing one token per team and
   * key shows 1 per key however many workers and connections it runs.
   */
  readonly providerTokens: number;
}

export type { WaitForOptions } from './record-log.js';
/** What the recorder keeps: every record, only counters, or counters plus accepted apns-ids with multiplicity. */
export type RecordMode = LogMode | 'ids';

export class Recorder extends RecordLog<RecordedNotification, RecordedRejection> {
  #byReason: Record<string, number> = {};
  readonly #providerTokens = new Set<string>();
  readonly #idCounts: Map<string, number> | undefined;

  constructor(mode: RecordMode = 'all', limit = 100_000) {
    super(mode === 'ids' ? 'counters' : mode, limit, 'recorder');
    this.#idCounts = mode === 'ids' ? new Map() : undefined;
  }

  /** Times each apns-id was accepted (answered 200), in mode `ids`; empty in the other modes. */
  get acceptedIds(): ReadonlyMap<string, number> {
    return this.#idCounts ?? new Map();
  }

  get counters(): RecorderCounters {
    return {
      accepted: this.acceptedCount,
      rejected: this.rejectedCount,
      byReason: { ...this.#byReason },
      providerTokens: this.#providerTokens.size,
    };
  }

  /** The delivery-log lookup Apple's console offers in development: the push answered with `uniqueId`. */
  findByUniqueId(uniqueId: string): RecordedNotification | undefined {
    return this.accepted.find((r) => r.uniqueId === uniqueId);
  }

  override clear(): void {
    super.clear();
    this.#byReason = {};
    this.#providerTokens.clear();
    this.#idCounts?.clear();
  }

  /** Count a provider token a connection accepted for the first time (kept only to tell tokens apart). @internal */
  onProviderTokenAccepted(token: string): void {
    this.#providerTokens.add(token);
  }

  /** Count one more acceptance of `apnsId`, in mode `ids`. @internal */
  onAcceptedId(apnsId: string): void {
    const ids = this.#idCounts;
    if (ids !== undefined) ids.set(apnsId, (ids.get(apnsId) ?? 0) + 1);
  }

  /** Count a rejection, keeping `record` in `all` mode. @internal */
  onRejected(reason: string, record: RecordedRejection | undefined): void {
    this.#byReason[reason] = (this.#byReason[reason] ?? 0) + 1;
    this.addRejected(record);
  }
}
