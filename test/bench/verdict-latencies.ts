/**
 * Enqueue-to-verdict latency of every notification a bench enqueued, read from the fleet's own final records
 * (`queueKeys.finalOutcomes`, written by the worker when a notification ends) while the run goes on, so each
 * sampling window gets the latencies of the verdicts that arrived in it.
 */
import { type FinalRecord, queueKeys, statusBucketOf } from '@pushfleet/queue';
import type { Redis } from 'ioredis';

/** Ids per HMGET, and the most ids looked up per poll (the oldest first), so a backlog cannot stall a poll. */
const CHUNK = 1000;
const MAX_PER_POLL = 20_000;

export class VerdictLatencies {
  readonly #redis: Redis;
  readonly #app: string;
  /** id → enqueue time (ms), in enqueue order. */
  readonly #pending = new Map<string, number>();
  #window: number[] = [];
  #outcomes: Record<string, number> = {};

  constructor(redis: Redis, app: string) {
    this.#redis = redis;
    this.#app = app;
  }

  /** Notifications enqueued at `at` (ms since the epoch, taken just before the enqueue call). */
  add(ids: readonly string[], at: number): void {
    for (const id of ids) this.#pending.set(id, at);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Look the oldest pending notifications up; those that ended join the current window. */
  async poll(now = Date.now()): Promise<void> {
    const ids: string[] = [];
    for (const id of this.#pending.keys()) {
      if (ids.length === MAX_PER_POLL) break;
      ids.push(id);
    }
    if (ids.length === 0) return;
    // A verdict read just after a bucket turned is in the previous bucket (notification-status.ts).
    const buckets = [statusBucketOf(now), statusBucketOf(now) - 1];
    const pipeline = this.#redis.pipeline();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      for (const b of buckets) pipeline.hmget(queueKeys.finalOutcomes(this.#app, b), ...chunk);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (let c = 0; c * CHUNK < ids.length; c++) {
      const chunk = ids.slice(c * CHUNK, (c + 1) * CHUNK);
      const [current, previous] = [replies[2 * c]?.[1], replies[2 * c + 1]?.[1]] as (string | null)[][];
      chunk.forEach((id, k) => {
        const json = current?.[k] ?? previous?.[k];
        if (json === null || json === undefined) return;
        const record = JSON.parse(json) as FinalRecord;
        this.#window.push(record.at - this.#pending.get(id)!);
        this.#outcomes[record.outcome] = (this.#outcomes[record.outcome] ?? 0) + 1;
        this.#pending.delete(id);
      });
    }
  }

  /** The latencies (ms, ascending) read since the last call; starts the next window. */
  takeWindow(): Float64Array {
    const window = Float64Array.from(this.#window).sort();
    this.#window = [];
    return window;
  }

  /** Final outcomes read so far, by outcome. */
  get outcomes(): Readonly<Record<string, number>> {
    return this.#outcomes;
  }
}
