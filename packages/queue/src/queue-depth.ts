/**
 * How much of an app's work is waiting, read cheaply enough to run on every metrics scrape: one pipeline of
 * O(1) commands (LLEN, ZCARD, LINDEX, never a scan), plus one HMGET of the oldest waiting job when there is
 * one. Delayed and prioritized jobs count too: a backlog that only looks at the wait list (KEDA's Redis list
 * trigger) misses retries waiting out their backoff and scheduled notifications.
 *
 *   {pushfleet:<app>}:notifications:wait         list  waiting job ids (BullMQ pushes left, takes right)
 *   {pushfleet:<app>}:notifications:active       list
 *   {pushfleet:<app>}:notifications:delayed      zset  (retries in backoff, `sendAt` / `delay` jobs)
 *   {pushfleet:<app>}:notifications:prioritized  zset
 *   {pushfleet:<app>}:notifications:failed       zset
 *   {pushfleet:<app>}:dlq:order                  zset  the dead-letter list
 *
 * The broadcasts queue (`{pushfleet:<app>}:broadcasts:*`, a job per broadcast push or channel operation) is
 * read the same way, with the broadcast dead letters (`{pushfleet:<app>}:dlq:broadcasts:order`).
 */
import { QueueKeys } from 'bullmq';
import { BROADCAST_QUEUE_NAME, QUEUE_NAME, queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

/** The job at the head of the wait list (the next one a worker takes) and since when it has been due. */
export interface QueueHead {
  readonly id: string;
  /**
   * ms since the epoch. A job that never ran: its enqueue time plus its `delay` (exact). One that ran
   * before (retried, stalled): BullMQ keeps no promotion time, so the first time a reader saw it at the head.
   */
  readonly dueAt: number;
}

export interface QueueDepth {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly prioritized: number;
  readonly failed: number;
  readonly deadLettered: number;
  readonly head: QueueHead | undefined;
}

/**
 * Read the app's queue depth. Pass the previous read's `head`: while the same job stays at the head its due
 * time is not read again, and a job that ran before keeps the time it was first seen there.
 */
export function readQueueDepth(
  redis: RedisClient,
  app: string,
  previousHead?: QueueHead,
  now = Date.now(),
): Promise<QueueDepth> {
  return readDepth(redis, app, QUEUE_NAME, queueKeys.deadLetterOrder(app), previousHead, now);
}

/** The same read of the app's broadcasts queue (a job per broadcast push or channel operation) and its dead letters. */
export function readBroadcastQueueDepth(
  redis: RedisClient,
  app: string,
  previousHead?: QueueHead,
  now = Date.now(),
): Promise<QueueDepth> {
  return readDepth(
    redis,
    app,
    BROADCAST_QUEUE_NAME,
    queueKeys.broadcastDeadLetterOrder(app),
    previousHead,
    now,
  );
}

async function readDepth(
  redis: RedisClient,
  app: string,
  queueName: string,
  deadLetterOrder: string,
  previousHead: QueueHead | undefined,
  now: number,
): Promise<QueueDepth> {
  const keys = new QueueKeys(queueKeys.bullPrefix(app)).getKeys(queueName);
  const replies = await redis
    .pipeline()
    .llen(keys.wait!)
    .llen(keys.active!)
    .zcard(keys.delayed!)
    .zcard(keys.prioritized!)
    .zcard(keys.failed!)
    .zcard(deadLetterOrder)
    .lindex(keys.wait!, -1)
    .exec();
  const values = (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  const [waiting, active, delayed, prioritized, failed, deadLettered] = values.slice(0, 6).map(Number);
  const headId = values[6] as string | null;
  let head: QueueHead | undefined;
  if (headId && headId === previousHead?.id) head = previousHead;
  else if (headId) head = { id: headId, dueAt: await firstDueAt(redis, `${keys['']}${headId}`, now) };
  return {
    waiting: waiting ?? 0,
    active: active ?? 0,
    delayed: delayed ?? 0,
    prioritized: prioritized ?? 0,
    failed: failed ?? 0,
    deadLettered: deadLettered ?? 0,
    head,
  };
}

/** When a job that never ran became due (enqueued + its delay option); `now` for one that ran before. */
async function firstDueAt(redis: RedisClient, jobKey: string, now: number): Promise<number> {
  const [timestamp, processedOn, opts] = await redis.hmget(jobKey, 'timestamp', 'processedOn', 'opts');
  if (processedOn || !timestamp) return now;
  let delay = 0;
  try {
    delay = Number((JSON.parse(opts ?? '{}') as { delay?: unknown }).delay ?? 0) || 0;
  } catch {
    delay = 0;
  }
  const due = Number(timestamp) + delay;
  return Number.isFinite(due) ? Math.min(due, now) : now;
}
