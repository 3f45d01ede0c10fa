/**
 * The broadcasts' dead-letter list: per app, every broadcast or channel operation the retry policy gave up on
 * (`dead-lettered`) or that expired before APNs took it (`expired`), kept until an operator re-drives or purges
 * it, bounded by a count (the oldest go first). Beside the notifications' list (dead-letter.ts), whose
 * entries are notifications and re-drive into the push queue:
 *
 *   {pushfleet:<app>}:dlq:broadcasts         hash  id -> JSON BroadcastDeadLetter
 *   {pushfleet:<app>}:dlq:broadcasts:order   zset  id, scored by deadAt
 *
 * A re-driven entry goes back to the app's broadcasts queue with its id, its clock restarted.
 */
import { type JobsOptions, Queue } from 'bullmq';
import {
  BROADCAST_JOB_NAME,
  type BroadcastJobData,
  CHANNEL_JOB_NAME,
  type ChannelJobData,
} from './broadcast-job.js';
import { appBroadcastQueue, queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

export interface BroadcastDeadLetter {
  readonly app: string;
  /** The job as it was enqueued: a broadcast or a channel operation. */
  readonly job: BroadcastJobData | ChannelJobData;
  readonly outcome: 'expired' | 'dead-lettered';
  readonly reason: string;
  /** Tries made. */
  readonly attempts: number;
  readonly deadAt: number;
}

/** Entries kept per app. */
export const MAX_BROADCAST_DEAD_LETTERS = 10_000;

const idOf = (job: BroadcastJobData | ChannelJobData) => ('broadcast' in job ? job.broadcast.id : job.id);

export async function addBroadcastDeadLetter(redis: RedisClient, entry: BroadcastDeadLetter): Promise<void> {
  const id = idOf(entry.job);
  const order = queueKeys.broadcastDeadLetterOrder(entry.app);
  const hash = queueKeys.broadcastDeadLetters(entry.app);
  await redis.multi().hset(hash, id, JSON.stringify(entry)).zadd(order, entry.deadAt, id).exec();
  const over = (await redis.zcard(order)) - MAX_BROADCAST_DEAD_LETTERS;
  if (over > 0) {
    const oldest = await redis.zrange(order, '0', String(over - 1));
    await redis
      .multi()
      .hdel(hash, ...oldest)
      .zrem(order, ...oldest)
      .exec();
  }
}

/** Oldest first. */
export async function listBroadcastDeadLetters(
  redis: RedisClient,
  app: string,
  limit = 1000,
): Promise<BroadcastDeadLetter[]> {
  const ids = await redis.zrange(queueKeys.broadcastDeadLetterOrder(app), '0', String(limit - 1));
  if (ids.length === 0) return [];
  const raw = await redis.hmget(queueKeys.broadcastDeadLetters(app), ...ids);
  return raw.flatMap((r) => (r === null ? [] : [JSON.parse(r) as BroadcastDeadLetter]));
}

export async function countBroadcastDeadLetters(redis: RedisClient, app: string): Promise<number> {
  return redis.zcard(queueKeys.broadcastDeadLetterOrder(app));
}

/** Send entries again (same ids, the clock restarted) and remove them from the list; returns the ids re-driven. */
export async function redriveBroadcastDeadLetters(
  redis: RedisClient,
  app: string,
  ids: readonly string[],
  jobOptions: JobsOptions = {},
): Promise<string[]> {
  if (ids.length === 0) return [];
  const raw = await redis.hmget(queueKeys.broadcastDeadLetters(app), ...ids);
  const { name, prefix } = appBroadcastQueue(app);
  const queue = new Queue(name, { connection: redis, prefix });
  const done: string[] = [];
  try {
    for (const r of raw) {
      if (r === null) continue;
      const entry = JSON.parse(r) as BroadcastDeadLetter;
      const id = idOf(entry.job);
      const { tries: _tries, lastReason: _last, ...enqueued } = entry.job;
      const job = { ...enqueued, enqueuedAt: Date.now() };
      // A new job id: the failed job of the same id may still be kept by BullMQ.
      const jobId = `${id}:redrive:${Date.now()}`;
      await queue.add('broadcast' in job ? BROADCAST_JOB_NAME : CHANNEL_JOB_NAME, job, {
        ...jobOptions,
        jobId,
      });
      await redis
        .multi()
        .hdel(queueKeys.broadcastDeadLetters(app), id)
        .zrem(queueKeys.broadcastDeadLetterOrder(app), id)
        .exec();
      done.push(id);
    }
  } finally {
    await queue.close();
  }
  return done;
}
