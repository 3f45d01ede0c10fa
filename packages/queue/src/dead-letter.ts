/**
 * The dead-letter list: per app, every notification the retry policy gave up on (`dead-lettered`) or that
 * expired before APNs took it (`expired`), with its whole attempt history and the reason, kept until an
 * operator re-drives or purges it — bounded by a count and an age so an outage cannot fill Redis.
 *
 *   {pushfleet:<app>}:dlq         hash  notification id -> JSON DeadLetter
 *   {pushfleet:<app>}:dlq:order   zset  notification id, scored by deadAt (oldest first; trimmed from the front)
 *
 * A re-driven notification keeps its id and history: it goes back to the queue as a job whose state already
 * holds its earlier attempts, and its retry horizon starts again from the re-drive.
 */
import { Queue } from 'bullmq';
import { ValidationError } from './errors.js';
import { type AttemptRecord, JOB_RECORD_VERSION, PUSH_JOB_NAME, type PushJobData } from './job.js';
import type { NotificationRecord } from './notification.js';
import { indexNotifications } from './notification-status.js';
import { DEFAULT_JOB_OPTIONS } from './producer.js';
import { QUEUE_NAME, queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

export interface DeadLetter {
  readonly app: string;
  readonly notification: NotificationRecord;
  readonly outcome: 'expired' | 'dead-lettered';
  /** Why it was given up, e.g. "retry horizon passed after 31 tries: ServiceUnavailable". */
  readonly reason: string;
  readonly attempts: readonly AttemptRecord[];
  /** When it was first enqueued (or last re-driven), ms since the epoch. */
  readonly enqueuedAt: number;
  /** When it was dead-lettered, ms since the epoch. */
  readonly deadAt: number;
  /** The BullMQ job that carried it. */
  readonly jobId: string;
}

export interface DeadLetterLimits {
  /** Entries kept per app; the oldest go first. @defaultValue 100000 */
  readonly maxEntries: number;
  /** Entries older than this are dropped. @defaultValue 14 days */
  readonly maxAgeMs: number;
}

export const DEFAULT_DEAD_LETTER_LIMITS: DeadLetterLimits = Object.freeze({
  maxEntries: 100_000,
  maxAgeMs: 14 * 86_400_000,
});

/**
 * KEYS[1] hash, KEYS[2] order zset; ARGV[1] now, ARGV[2] max entries, ARGV[3] max age ms, then id/deadAt/json
 * triples. Writes every entry, then trims by age and count. Returns the number of entries trimmed.
 */
const ADD_SCRIPT = `
for i = 4, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
end
local trimmed = 0
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[3])))
local over = redis.call('ZCARD', KEYS[2]) - #old - tonumber(ARGV[2])
for _, id in ipairs(old) do redis.call('HDEL', KEYS[1], id); redis.call('ZREM', KEYS[2], id); trimmed = trimmed + 1 end
if over > 0 then
  local first = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, id in ipairs(first) do redis.call('HDEL', KEYS[1], id); redis.call('ZREM', KEYS[2], id); trimmed = trimmed + 1 end
end
return trimmed
`;

/** Add entries to their app's list in one round trip (all of one app). Resolves how many old ones were trimmed. */
export async function addDeadLetters(
  redis: RedisClient,
  app: string,
  entries: readonly DeadLetter[],
  limits: DeadLetterLimits = DEFAULT_DEAD_LETTER_LIMITS,
): Promise<number> {
  if (entries.length === 0) return 0;
  const args = entries.flatMap((e) => [e.notification.id, String(e.deadAt), JSON.stringify(e)]);
  const trimmed = await redis.eval(
    ADD_SCRIPT,
    2,
    queueKeys.deadLetters(app),
    queueKeys.deadLetterOrder(app),
    String(Date.now()),
    String(limits.maxEntries),
    String(limits.maxAgeMs),
    ...args,
  );
  return Number(trimmed);
}

export async function countDeadLetters(redis: RedisClient, app: string): Promise<number> {
  return redis.zcard(queueKeys.deadLetterOrder(app));
}

/** A page of the list, oldest first. */
export async function listDeadLetters(
  redis: RedisClient,
  app: string,
  page: { readonly offset?: number; readonly limit?: number } = {},
): Promise<{ readonly total: number; readonly entries: DeadLetter[] }> {
  const offset = page.offset ?? 0;
  const limit = page.limit ?? 100;
  const [total, ids] = await Promise.all([
    countDeadLetters(redis, app),
    redis.zrange(queueKeys.deadLetterOrder(app), String(offset), String(offset + limit - 1)),
  ]);
  if (ids.length === 0) return { total, entries: [] };
  const raw = await redis.hmget(queueKeys.deadLetters(app), ...ids);
  return { total, entries: raw.flatMap((r) => (r === null ? [] : [JSON.parse(r) as DeadLetter])) };
}

export async function getDeadLetter(
  redis: RedisClient,
  app: string,
  id: string,
): Promise<DeadLetter | undefined> {
  const raw = await redis.hget(queueKeys.deadLetters(app), id.toLowerCase());
  return raw === null ? undefined : (JSON.parse(raw) as DeadLetter);
}

/** Remove these ids, or every entry. Resolves how many were removed. */
export async function purgeDeadLetters(
  redis: RedisClient,
  app: string,
  ids?: readonly string[],
): Promise<number> {
  if (ids === undefined) {
    const count = await countDeadLetters(redis, app);
    await redis.del(queueKeys.deadLetters(app), queueKeys.deadLetterOrder(app));
    return count;
  }
  if (ids.length === 0) return 0;
  const lower = ids.map((id) => id.toLowerCase());
  const [removed] = await redis
    .multi()
    .zrem(queueKeys.deadLetterOrder(app), ...lower)
    .hdel(queueKeys.deadLetters(app), ...lower)
    .exec()
    .then((r) => (r ?? []).map(([, v]) => Number(v)));
  return removed ?? 0;
}

/**
 * Put entries back in the queue (these ids, or every entry): each becomes a job of its own whose state
 * carries its earlier attempts (looked up by the notification's id through the status index); then it
 * leaves the list. A job is added before
 * its entry is removed, so a crash in between re-drives it twice rather than losing it.
 */
export async function redriveDeadLetters(
  redis: RedisClient,
  app: string,
  ids?: readonly string[],
): Promise<{ readonly redriven: string[]; readonly missing: string[] }> {
  const wanted = ids ?? (await redis.zrange(queueKeys.deadLetterOrder(app), '0', '-1'));
  const lower = wanted.map((id) => id.toLowerCase());
  const raw = lower.length === 0 ? [] : await redis.hmget(queueKeys.deadLetters(app), ...lower);
  const entries = raw.flatMap((r) => (r === null ? [] : [JSON.parse(r) as DeadLetter]));
  const missing = lower.filter((_, i) => raw[i] === null);
  if (ids !== undefined && missing.length === lower.length && lower.length > 0) {
    throw new ValidationError('ids', `none of ${lower.length} is in ${app}'s dead-letter list`);
  }
  const queue = new Queue<PushJobData>(QUEUE_NAME, {
    connection: redis,
    prefix: queueKeys.bullPrefix(app),
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  try {
    const now = Date.now();
    const index = redis.pipeline();
    for (const e of entries) {
      const data: PushJobData = {
        v: JOB_RECORD_VERSION,
        app,
        enqueuedAt: now,
        notifications: [e.notification],
        state: { [e.notification.id]: { final: false, attempts: e.attempts } },
      };
      // A job id of its own (the old job may still carry other notifications): found by id through the index.
      const job = await queue.add(PUSH_JOB_NAME, data);
      indexNotifications(index, app, [[e.notification.id, String(job.id)]], now);
    }
    await index.exec();
  } finally {
    await queue.close();
  }
  await purgeDeadLetters(
    redis,
    app,
    entries.map((e) => e.notification.id),
  );
  return { redriven: entries.map((e) => e.notification.id), missing };
}
