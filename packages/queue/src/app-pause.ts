/**
 * Pausing an app whose credentials APNs refused (InvalidProviderToken, BadCertificate, Forbidden...):
 * every worker stops taking that app's jobs, so its queue is kept rather than burned, until an operator
 * fixes the credentials and resumes it (`pushfleet resume <app>`).
 *
 * The pause is BullMQ's global queue pause plus a record of why, in `{pushfleet:<app>}:paused`. Since
 * BullMQ 6 that pause is a flag on the queue: its jobs stay in `wait` (reported as waiting) and workers
 * stop taking them. An app paused under BullMQ 5 has its jobs parked in the old `paused` list, which
 * BullMQ 6 no longer counts (`getJobCounts`) until `resumeApp` moves them back to `wait`.
 */
import { Queue } from 'bullmq';
import { QUEUE_NAME, queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

export interface AppPause {
  /** Apple's reason, e.g. `InvalidProviderToken`. */
  readonly reason: string;
  /** ms since the epoch. */
  readonly at: number;
  /** Which process paused it (host:pid). */
  readonly by: string;
}

function queueOf(redis: RedisClient, app: string): Queue {
  return new Queue(QUEUE_NAME, { connection: redis, prefix: queueKeys.bullPrefix(app) });
}

/** Pause the app for every worker. Resolves false if it was already paused (the first reason is kept). */
export async function pauseApp(
  redis: RedisClient,
  app: string,
  reason: string,
  by: string,
): Promise<boolean> {
  const queue = queueOf(redis, app);
  try {
    await queue.pause();
  } finally {
    await queue.close();
  }
  // Written after the pause took effect, so a reader who sees the record sees a paused queue.
  const record: AppPause = { reason, at: Date.now(), by };
  return (await redis.set(queueKeys.paused(app), JSON.stringify(record), 'NX')) === 'OK';
}

/** Resume the app: its waiting and delayed jobs run again. Resolves the pause that was lifted, if any. */
export async function resumeApp(redis: RedisClient, app: string): Promise<AppPause | undefined> {
  const raw = await redis.get(queueKeys.paused(app));
  const queue = queueOf(redis, app);
  try {
    await queue.resume();
  } finally {
    await queue.close();
  }
  await redis.del(queueKeys.paused(app));
  return raw ? (JSON.parse(raw) as AppPause) : undefined;
}

/** Why the app is paused, or undefined when it is not paused for its credentials. */
export async function getAppPause(redis: RedisClient, app: string): Promise<AppPause | undefined> {
  const raw = await redis.get(queueKeys.paused(app));
  return raw ? (JSON.parse(raw) as AppPause) : undefined;
}
