/**
 * Where each notification stands, by its own id, whatever job carries it and after that job is gone.
 *
 *   {pushfleet:<app>}:where:<bucket>  hash  notification id -> BullMQ job id (written at enqueue, and again
 *                                           when a run leaves it for a retry)
 *   {pushfleet:<app>}:final:<bucket>  hash  notification id -> JSON FinalRecord (written when it ends)
 *   {pushfleet:<app>}:outcomes        hash  outcome -> notifications that ended so (counters since the start)
 *
 * A bucket is 10 minutes; its hash expires `STATUS_RETENTION_MS` (1 h, like a completed job's own retention)
 * after the bucket ends. Bounded by time, because the cost is per notification (~430 bytes of Redis memory for
 * the pair, measured: 141 the index entry, 285 a sandbox final record with its apns-unique-id): a fleet sending 1,000/s keeps ~1.6 GB of
 * status. A notification retried for longer stays findable (each run that leaves it unfinished indexes it
 * again); one that waits in the queue past the retention without running reads as unknown until it runs. A read looks through the buckets of the retention
 * window (one pipelined round trip); a write is one HSET per job run. Waiting for N notifications reads the
 * counters: O(1) per poll, however many are pending.
 */
import type { ChainableCommander } from 'ioredis';
import type { NotificationOutcome } from './job.js';
import { queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

/** How long a notification's job and final outcome can be looked up by its id (at least). */
export const STATUS_RETENTION_MS = 3600_000;
/** The status hashes are cut by this much time, so each expires whole. */
export const STATUS_BUCKET_MS = 600_000;
const BUCKETS = STATUS_RETENTION_MS / STATUS_BUCKET_MS + 1;

/** A notification's end, as kept for status reads after its job is removed. */
export interface FinalRecord {
  readonly outcome: NotificationOutcome;
  readonly status?: number;
  readonly reason?: string;
  /** `apns-unique-id` of a sandbox delivery (Apple's delivery log key). */
  readonly uniqueId?: string;
  /** When it ended, ms since the epoch. */
  readonly at: number;
  readonly attempts: number;
  readonly jobId: string;
}

/** The status bucket a time falls in (for `queueKeys.notificationJobs` / `finalOutcomes`). */
export const statusBucketOf = (ms: number) => Math.floor(ms / STATUS_BUCKET_MS);
const expireAt = (bucket: number) =>
  Math.ceil(((bucket + 1) * STATUS_BUCKET_MS + STATUS_RETENTION_MS) / 1000);

/**
 * HSET of the pairs in ARGV[2] (lines: notification id, job id), 500 pairs per call (under Lua's unpack
 * limit), then EXPIREAT ARGV[1]. One argument for the whole batch: an HSET with two per notification spent
 * most of the producer's index time in ioredis's per-argument work.
 */
const INDEX_SCRIPT = `
local args = {}
for id, job in string.gmatch(ARGV[2], '([^\\n]*)\\n([^\\n]*)\\n') do
  args[#args + 1] = id
  args[#args + 1] = job
  if #args == 1000 then
    redis.call('HSET', KEYS[1], unpack(args))
    args = {}
  end
end
if #args > 0 then redis.call('HSET', KEYS[1], unpack(args)) end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return 0`;

/** Add "these notifications are in this job" to a MULTI/pipeline (the producer's enqueue). */
export function indexNotifications(
  pipeline: ChainableCommander,
  app: string,
  entries: readonly (readonly [notificationId: string, jobId: string])[],
  now = Date.now(),
): void {
  if (entries.length === 0) return;
  const bucket = statusBucketOf(now);
  let lines = '';
  for (const [id, jobId] of entries) lines += `${id}\n${jobId}\n`;
  pipeline.eval(INDEX_SCRIPT, 1, queueKeys.notificationJobs(app, bucket), expireAt(bucket), lines);
}

/**
 * Record and count the final outcomes of one job run, each once: a notification already recorded by a run of
 * the same job (in this bucket or the one before) is skipped, so a stale run that ends it again after its lock
 * was lost does not count it twice. A re-driven dead letter ends in a new job, so it is recorded and counted
 * again. KEYS: this bucket's final hash, the previous one's, the outcome counters. ARGV: expire-at; the run's
 * distinct records as lines, three per record (outcome, job id, record JSON); then the notifications as lines,
 * two each (id, number of its record from 1). Many records of a run are alike (delivered in the same millisecond on the
 * first try), so each is serialized and sent once: the line per notification with its JSON was 170 KB for a
 * job of 1,000. Two arguments, not four per notification, because ioredis's per-argument work was most of
 * this call's cost in the worker's profile. No line can hold a newline: ids and outcomes are checked, and
 * JSON escapes it. Redis reads and writes 500 notifications per call (HMGET, HSET), not three calls each
 * (bench:e2e's Redis CPU per notification 13.5 -> 9.2 µs). Returns how many were new.
 */
const RECORD_FINALS_SCRIPT = `
local records = {}
for outcome, job, json in string.gmatch(ARGV[2], '([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n') do
  records[#records + 1] = { outcome, '"jobId":"' .. job .. '"', json }
end
local ids, numbers = {}, {}
for id, k in string.gmatch(ARGV[3], '([^\\n]*)\\n([^\\n]*)\\n') do
  ids[#ids + 1] = id
  numbers[#numbers + 1] = tonumber(k)
end
local added = 0
local counts = {}
for from = 1, #ids, 500 do
  local slice = { unpack(ids, from, math.min(from + 499, #ids)) }
  local here = redis.call('HMGET', KEYS[1], unpack(slice))
  local before = redis.call('HMGET', KEYS[2], unpack(slice))
  local writes = {}
  for i, id in ipairs(slice) do
    local r = records[numbers[from + i - 1]]
    local prior = here[i] or before[i]
    if not (prior and string.find(prior, r[2], 1, true)) then
      writes[#writes + 1] = id
      writes[#writes + 1] = r[3]
      counts[r[1]] = (counts[r[1]] or 0) + 1
      added = added + 1
    end
  end
  if #writes > 0 then redis.call('HSET', KEYS[1], unpack(writes)) end
end
for outcome, n in pairs(counts) do redis.call('HINCRBY', KEYS[3], outcome, n) end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return added`;

/** Record notifications that reached their final outcome (one job run's worth), and count them, once each. */
export async function recordFinalOutcomes(
  redis: RedisClient,
  app: string,
  finals: readonly (readonly [notificationId: string, record: FinalRecord])[],
  now = Date.now(),
): Promise<number> {
  if (finals.length === 0) return 0;
  const bucket = statusBucketOf(now);
  const numbers = new Map<string, number>(); // a record's fields -> its number in `records`
  let records = '';
  let lines = '';
  let previous: FinalRecord | undefined;
  let previousK = 0;
  for (const [id, r] of finals) {
    // Neighbours are often alike (answered in the same millisecond): compared field by field first, the
    // record's key string is built only when this one differs from the one before.
    if (previous === undefined || !sameRecord(r, previous)) {
      const fields = `${r.outcome}\n${r.jobId}\n${r.at}\n${r.attempts}\n${r.status}\n${r.reason}\n${r.uniqueId}`;
      let k = numbers.get(fields);
      if (k === undefined) {
        k = numbers.size + 1;
        numbers.set(fields, k);
        records += `${r.outcome}\n${r.jobId}\n${JSON.stringify(r)}\n`;
      }
      previous = r;
      previousK = k;
    }
    lines += `${id}\n${previousK}\n`;
  }
  const keys = [
    queueKeys.finalOutcomes(app, bucket),
    queueKeys.finalOutcomes(app, bucket - 1),
    queueKeys.outcomeCounts(app),
  ];
  return (await redis.eval(
    RECORD_FINALS_SCRIPT,
    keys.length,
    ...keys,
    expireAt(bucket),
    records,
    lines,
  )) as number;
}

/** Whether two final records have the same fields (and so the same record number in one write). */
function sameRecord(a: FinalRecord, b: FinalRecord): boolean {
  return (
    a.at === b.at &&
    a.outcome === b.outcome &&
    a.status === b.status &&
    a.attempts === b.attempts &&
    a.jobId === b.jobId &&
    a.reason === b.reason &&
    a.uniqueId === b.uniqueId
  );
}

/** Notifications of the app that ended, per outcome, since the counters began. */
export async function outcomeCounts(redis: RedisClient, app: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(queueKeys.outcomeCounts(app));
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}

/** Look a notification up: its final record, else the id of the job that carries it, else nothing. */
export async function findNotification(
  redis: RedisClient,
  app: string,
  id: string,
  now = Date.now(),
): Promise<{ readonly final?: FinalRecord; readonly jobId?: string }> {
  const lower = id.toLowerCase();
  const buckets = Array.from({ length: BUCKETS }, (_, i) => statusBucketOf(now) - i);
  const pipeline = redis.pipeline();
  for (const b of buckets) pipeline.hget(queueKeys.finalOutcomes(app, b), lower);
  for (const b of buckets) pipeline.hget(queueKeys.notificationJobs(app, b), lower);
  const results = ((await pipeline.exec()) ?? []).map(([, v]) => v as string | null);
  const final = results.slice(0, BUCKETS).find((v) => v !== null);
  if (final) return { final: JSON.parse(final) as FinalRecord };
  const jobId = results.slice(BUCKETS).find((v) => v !== null);
  return jobId ? { jobId } : {};
}

/**
 * The final records of `ids` (one app's), where they exist, the newest of each: one HMGET per status bucket
 * of the retention window, in one round trip (a status read of a completed job of 1,000: getPushJobStatus).
 */
export async function findFinalRecords(
  redis: RedisClient,
  app: string,
  ids: readonly string[],
  now = Date.now(),
): Promise<Map<string, FinalRecord>> {
  const found = new Map<string, FinalRecord>();
  if (ids.length === 0) return found;
  const pipeline = redis.pipeline();
  for (let i = 0; i < BUCKETS; i++)
    pipeline.hmget(queueKeys.finalOutcomes(app, statusBucketOf(now) - i), ...ids);
  for (const [err, values] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    (values as (string | null)[]).forEach((v, i) => {
      if (v !== null && !found.has(ids[i]!)) found.set(ids[i]!, JSON.parse(v) as FinalRecord);
    });
  }
  return found;
}

export interface NotificationWaitOptions {
  /** The counters before the notifications were enqueued (outcomeCounts), per app. */
  readonly baseline: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How many notifications each app must end. */
  readonly expected: Readonly<Record<string, number>>;
  /** @defaultValue 120000 */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly onProgress?: (ended: number, total: number, byOutcome: Record<string, number>) => void;
}

/**
 * Wait until each app has ended `expected` more notifications than its baseline; resolves the outcome counts
 * of what ended meanwhile. Reads one counter hash per app per poll (nothing per notification), so it costs
 * the same at 10 and at 10 million. Other traffic to the same apps counts too: use it where the caller is the
 * only producer (the demo, tests, benchmarks).
 */
export async function waitForNotifications(
  redis: RedisClient,
  options: NotificationWaitOptions,
): Promise<{ readonly ended: number; readonly total: number; readonly byOutcome: Record<string, number> }> {
  const apps = Object.keys(options.expected);
  const total = apps.reduce((sum, a) => sum + (options.expected[a] ?? 0), 0);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const byOutcome: Record<string, number> = {};
    let ended = 0;
    for (const app of apps) {
      const now = await outcomeCounts(redis, app);
      const before = options.baseline[app] ?? {};
      let appEnded = 0;
      for (const [outcome, n] of Object.entries(now)) {
        const delta = n - (before[outcome] ?? 0);
        byOutcome[outcome] = (byOutcome[outcome] ?? 0) + delta;
        appEnded += delta;
      }
      ended += Math.min(appEnded, options.expected[app] ?? 0);
    }
    options.onProgress?.(ended, total, byOutcome);
    if (ended >= total || Date.now() >= deadline) return { ended, total, byOutcome };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}
