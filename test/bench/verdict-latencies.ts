/**
 * Enqueue-to-verdict latency of every notification a bench enqueued, read from the fleet's own final records
 * (`findFinalRecords`, written by the worker when a notification ends) while the run goes on, so each
 * sampling window gets the latencies of the verdicts that arrived in it.
 */
import { type FinalRecordLines, findFinalRecords } from '@pushfleet/queue';
import type { Redis } from 'ioredis';

/** Ids per read, and the most ids looked up per poll (the oldest first), so a backlog cannot stall a poll. */
const CHUNK = 1000;
const MAX_PER_POLL = 20_000;

export class VerdictLatencies {
  readonly #redis: Redis;
  readonly #app: string;
  /** id → enqueue time (ms), in enqueue order. */
  readonly #pending = new Map<string, number>();
  #window: number[] = [];
  #outcomes: Record<string, number> = {};
  /** The record lines read so far: each run's are read once, however many polls name them. */
  readonly #lines: FinalRecordLines = new Map();

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
    // A verdict read just after a bucket turned is in the previous bucket (notification-status.ts). The
    // chunks are read in parallel.
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += CHUNK) chunks.push(ids.slice(i, i + CHUNK));
    const found = await Promise.all(
      chunks.map((chunk) =>
        findFinalRecords(this.#redis, this.#app, chunk, { now, buckets: 2, cache: this.#lines }),
      ),
    );
    for (const finals of found)
      for (const [id, record] of finals) {
        this.#window.push(record.at - this.#pending.get(id)!);
        this.#outcomes[record.outcome] = (this.#outcomes[record.outcome] ?? 0) + 1;
        this.#pending.delete(id);
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
