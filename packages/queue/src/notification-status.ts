/**
 * Where each notification stands, by its own id, whatever job carries it and after that job is gone.
 *
 *   {pushfleet:<app>}:where:<bucket>  hash  notification id -> BullMQ job id, for ids the caller chose (written
 *                                           at enqueue, and again when a run leaves it for a retry); an id the
 *                                           producer made names its job (made-notification-id.ts)
 *   {pushfleet:<app>}:final:<bucket>  hash  notification id -> `<k>:<n>`, line k of field `#r<n>`, which
 *                                           holds one write's distinct FinalRecords as JSON lines (written
 *                                           when it ends; see recordFinalOutcomes); an id its job made is in
 *                                           the job's field `#m<job>` instead, 8 characters in all
 *                                           (44 with a sandbox delivery's apns-unique-id)
 *   {pushfleet:<app>}:outcomes        hash  outcome -> notifications that ended so (counters since the start)
 *
 * A bucket is 10 minutes; its hash expires `STATUS_RETENTION_MS` (1 h, like a completed job's own retention)
 * after the bucket ends. Bounded by time, because the cost is per notification, measured: ~11 bytes of Redis
 * memory for an id the producer made, against production (its 8 characters in its job's field), ~52 against
 * the sandbox (Apple's apns-unique-id beside them); an id the caller chose costs ~100 more (a field of its
 * own; against the sandbox its record is like no other) and 141 for its index entry. A fleet sending 1,000/s
 * of made ids keeps ~40 MB of status (~0.2 GB against the sandbox; ~0.9 GB more if every id is chosen). A
 * notification retried for longer stays findable (each run that leaves a chosen id unfinished indexes it
 * again; a made id is found while its job exists); one with a chosen id that waits in the queue past the
 * retention without running reads as unknown until it runs. A read looks through the buckets of the retention
 * window (one pipelined round trip, and one more for the record lines it names); a write is one script call
 * per job run.
 * Waiting for N notifications reads the counters: O(1) per poll, however many are pending.
 */
import type { ChainableCommander } from 'ioredis';
import type { NotificationOutcome } from './job.js';
import { candidateJobId, madeIdPrefix, madePositionDigits } from './made-notification-id.js';
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
 * again.
 *
 * Each write of records is a numbered run of the bucket (counter field `#`): its distinct records are stored
 * once, as JSON lines in field `#r<n>`, and each notification's field holds only `<k>:<n>`, line k of run n.
 * Field `#j<job>` lists the runs the job wrote in the bucket. Many notifications share a record (delivered in
 * the same millisecond at the first try), so a record is kept once and never parsed here; and a bucket where
 * the job wrote nothing holds no value of it, so the per-notification lookup is skipped there.
 *
 * An id the job made (made-notification-id.ts) gets no field of its own: its last four digits and its line
 * go into the job's field `#m<job>`, one segment per run. A field per notification was most of Redis's CPU
 * for this write (HSET, 1.8 of ~3.6 µs per notification in bench:e2e) and ~100 bytes of its memory.
 *
 * KEYS: this bucket's final hash, the previous one's, the outcome counters. ARGV: expire-at; the job id; each
 * record's outcome, one per line; the job id, then the records' JSON without it, one per line (stored as
 * sent); the other notifications as lines, two each (id, its record's line number from 1); the made ones'
 * entries, then how many of those ended in each outcome (lines: outcome, count). Seven arguments, not several
 * per notification: ioredis's per-argument work was most of this call's cost in the worker's profile.
 * A whole JSON record stored by an older worker is not recognised as this job's (it is recorded again). No
 * line can hold a newline: ids and outcomes are checked, and JSON escapes it. Returns how many were new.
 */
const RECORD_FINALS_SCRIPT = `
local jobField = '#j' .. ARGV[2]
local madeField = '#m' .. ARGV[2]
-- Each record line's outcome, read when first asked for: a first write of made ids never asks.
local outcomes
local function outcomeOf(k)
  if not outcomes then
    outcomes = {}
    for outcome in string.gmatch(ARGV[3], '([^\\n]*)\\n') do outcomes[#outcomes + 1] = outcome end
  end
  return outcomes[k]
end
local ids, numbers = {}, {}
for id, k in string.gmatch(ARGV[5], '([^\\n]*)\\n([^\\n]*)\\n') do
  ids[#ids + 1] = id
  numbers[#numbers + 1] = k
end
-- The runs this job wrote in a bucket, as a set, or nil when it wrote none there.
local function runsOf(key)
  local list = redis.call('HGET', key, jobField)
  if not list then return nil end
  local runs = {}
  for n in string.gmatch(list, '%d+') do runs[n] = true end
  return runs, list
end
local runsHere, listHere = runsOf(KEYS[1])
local runsBefore = runsOf(KEYS[2])
local none = {}
local run
local added = 0
local counts = {}
for from = 1, #ids, 500 do
  local slice = { unpack(ids, from, math.min(from + 499, #ids)) }
  local here = runsHere and redis.call('HMGET', KEYS[1], unpack(slice)) or none
  local before = runsBefore and redis.call('HMGET', KEYS[2], unpack(slice)) or none
  local writes = {}
  for i, id in ipairs(slice) do
    local prior, runs = here[i], runsHere
    if not prior then prior, runs = before[i], runsBefore end
    local priorRun = prior and string.match(prior, '^%d+:(%d+)$')
    if not (priorRun and runs[priorRun]) then
      if not run then run = redis.call('HINCRBY', KEYS[1], '#', 1) end
      local k = numbers[from + i - 1]
      writes[#writes + 1] = id
      writes[#writes + 1] = k .. ':' .. run
      local outcome = outcomeOf(tonumber(k))
      counts[outcome] = (counts[outcome] or 0) + 1
      added = added + 1
    end
  end
  if #writes > 0 then redis.call('HSET', KEYS[1], unpack(writes)) end
end
-- The ids this job made: 8 characters each, the id's last four then its record's line (hex), or 44 with
-- Apple's unique id after them (a sandbox delivery). The job's field holds a segment per run and width,
-- \`<n>:<entries>\\n\` or \`<n>u:<entries>\\n\`; an id already in one (here or before) is skipped.
local made, unique, madeHere = ARGV[6], ARGV[8], nil
if #made > 0 or #unique > 0 then
  madeHere = redis.call('HGET', KEYS[1], madeField)
  local madeBefore = redis.call('HGET', KEYS[2], madeField)
  local seen
  for _, prior in ipairs({ madeHere or '', madeBefore or '' }) do
    for flag, entries in string.gmatch(prior, '%d+(u?):([^\\n]*)\\n') do
      seen = seen or {}
      for i = 1, #entries, flag == 'u' and 44 or 8 do seen[string.sub(entries, i, i + 3)] = true end
    end
  end
  if seen then
    local function unseen(list, width)
      local kept = {}
      for i = 1, #list, width do
        local entry = string.sub(list, i, i + width - 1)
        if not seen[string.sub(entry, 1, 4)] then
          kept[#kept + 1] = entry
          local outcome = outcomeOf(tonumber(string.sub(entry, 5, 8), 16))
          counts[outcome] = (counts[outcome] or 0) + 1
          added = added + 1
        end
      end
      return table.concat(kept)
    end
    made, unique = unseen(made, 8), unseen(unique, 44)
  else
    -- The job's first write of made ids (the usual case): all are new, counted as the worker counted them.
    for outcome, n in string.gmatch(ARGV[7], '([^\\n]*)\\n(%d+)\\n') do
      counts[outcome] = (counts[outcome] or 0) + tonumber(n)
      added = added + tonumber(n)
    end
  end
  if #made + #unique > 0 then
    if not run then run = redis.call('HINCRBY', KEYS[1], '#', 1) end
    local value = madeHere or ''
    if #made > 0 then value = value .. run .. ':' .. made .. '\\n' end
    if #unique > 0 then value = value .. run .. 'u:' .. unique .. '\\n' end
    redis.call('HSET', KEYS[1], madeField, value)
  end
end
if run then
  redis.call('HSET', KEYS[1], '#r' .. run, ARGV[4], jobField, listHere and (listHere .. ' ' .. run) or tostring(run))
end
for outcome, n in pairs(counts) do redis.call('HINCRBY', KEYS[3], outcome, n) end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return added`;

/**
 * Record notifications that reached their final outcome (one job run's worth, all of one job), and count
 * them, once each. Returns how many were new.
 */
export async function recordFinalOutcomes(
  redis: RedisClient,
  app: string,
  finals: readonly (readonly [notificationId: string, record: FinalRecord])[],
  now = Date.now(),
): Promise<number> {
  const first = finals[0];
  if (first === undefined) return 0;
  const jobId = first[1].jobId;
  const bucket = statusBucketOf(now);
  const numbers = new Map<string, number>(); // a record's line -> its line number in `records`
  let written = 0; // lines in `records` after the job's
  let outcomes = '';
  let records = `${jobId}\n`; // the job once, not in every line
  let lines = '';
  let made = ''; // ids this job made: their position digits and line, 8 characters each
  let unique = ''; // the same, each followed by Apple's unique id (a sandbox delivery's)
  const madeCounts = new Map<string, number>(); // how many of them ended so, by outcome
  const prefix = madeIdPrefix(jobId);
  let previous: FinalRecord | undefined;
  let previousLineUnique: string | undefined;
  let previousK = 0;
  let previousHex = '';
  for (const [id, r] of finals) {
    if (r.jobId !== jobId)
      throw new Error(`recordFinalOutcomes: one job per call (${jobId}, then ${r.jobId})`);
    const digits = prefix === undefined ? undefined : madePositionDigits(prefix, id);
    // A made id keeps Apple's unique id in its entry, so its record line is shared like any other; any
    // other id keeps it in the line, which is then like no other.
    const apart =
      digits !== undefined && r.uniqueId !== undefined && written < 0xffff && UNIQUE_ID.test(r.uniqueId);
    const lineUnique = apart ? undefined : r.uniqueId;
    // Neighbours are often alike (answered in the same millisecond): compared field by field first, the
    // record's line is built only when this one differs from the one before.
    if (previous === undefined || lineUnique !== previousLineUnique || !sameRecord(r, previous)) {
      const line = recordLine(r, lineUnique);
      // A line with Apple's unique id is like no other: not looked up, nor kept.
      let k = lineUnique === undefined ? numbers.get(line) : undefined;
      if (k === undefined) {
        k = ++written;
        if (lineUnique === undefined) numbers.set(line, k);
        outcomes += `${r.outcome}\n`;
        records += `${line}\n`;
      }
      previous = r;
      previousLineUnique = lineUnique;
      previousK = k;
      previousHex = k <= 0xffff ? k.toString(16).padStart(4, '0') : '';
    }
    if (digits !== undefined && previousHex !== '') {
      if (apart) unique += digits + previousHex + r.uniqueId;
      else made += digits + previousHex;
      madeCounts.set(r.outcome, (madeCounts.get(r.outcome) ?? 0) + 1);
    } else lines += `${id}\n${previousK}\n`;
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
    jobId,
    outcomes,
    records,
    lines,
    made,
    [...madeCounts].map(([outcome, n]) => `${outcome}\n${n}\n`).join(''),
    unique,
  )) as number;
}

/**
 * A record's line in its run's records field: its JSON, less the job id (the field's first line). Written
 * out, not by JSON.stringify of the record less its job (a rest spread, then the serializer's general path):
 * that was half of this write's CPU (--cpu-prof). Every field of FinalRecord but `jobId` is here.
 */
function recordLine(r: FinalRecord, uniqueId: string | undefined): string {
  let line = `{"outcome":${JSON.stringify(r.outcome)},"at":${r.at},"attempts":${r.attempts}`;
  if (r.status !== undefined) line += `,"status":${r.status}`;
  if (r.reason !== undefined) line += `,"reason":${JSON.stringify(r.reason)}`;
  if (uniqueId !== undefined) line += `,"uniqueId":${JSON.stringify(uniqueId)}`;
  return `${line}}`;
}

/** Whether two final records have the same fields but Apple's unique id (which the caller compares). */
function sameRecord(a: FinalRecord, b: FinalRecord): boolean {
  return (
    a.at === b.at &&
    a.outcome === b.outcome &&
    a.status === b.status &&
    a.attempts === b.attempts &&
    a.jobId === b.jobId &&
    a.reason === b.reason
  );
}

/** Apple's `apns-unique-id`, a UUID: one that looks otherwise stays in its record's line. */
const UNIQUE_ID = /^[0-9A-Fa-f-]{36}$/;

/**
 * Record lines already read, by bucket key and records field: a records field never changes once written,
 * so a caller that reads the same runs again (a poll) can keep this between reads.
 */
export type FinalRecordLines = Map<string, readonly string[]>;

/**
 * A final hash's value for one notification (`<k>:<n>`, or from a job's made ids `<k>:<n>:<unique id>`): its
 * record's line, the field of the lines, and Apple's unique id when it was kept beside them.
 */
function parseReference(
  value: string,
): { readonly line: number; readonly field: string; readonly uniqueId?: string } | undefined {
  const colon = value.indexOf(':');
  if (value.startsWith('{') || colon < 0) return undefined; // a whole record, from an older worker
  const second = value.indexOf(':', colon + 1);
  const line = Number(value.slice(0, colon));
  if (second < 0) return { line, field: `#r${value.slice(colon + 1)}` };
  return { line, field: `#r${value.slice(colon + 1, second)}`, uniqueId: value.slice(second + 1) };
}

/** A made id's field and position digits (`#m<job>`, its last four), or undefined for an id no job made. */
function madeSlot(id: string): { readonly field: string; readonly digits: string } | undefined {
  const jobId = candidateJobId(id);
  const prefix = madeIdPrefix(jobId);
  const digits = prefix === undefined ? undefined : madePositionDigits(prefix, id);
  return digits === undefined ? undefined : { field: `#m${jobId}`, digits };
}

/**
 * Each entry of a `#m<job>` value: the id's position digits and its reference (`<k>:<n>` as a field's, then
 * `:<unique id>` from a segment that keeps them).
 */
function* madeReferences(value: string): Generator<readonly [digits: string, reference: string]> {
  for (const segment of value.split('\n')) {
    const colon = segment.indexOf(':');
    if (colon < 0) continue;
    const withUnique = segment[colon - 1] === 'u';
    const run = segment.slice(0, withUnique ? colon - 1 : colon);
    const width = withUnique ? 44 : 8;
    for (let i = colon + 1; i + width <= segment.length; i += width) {
      const reference = `${Number.parseInt(segment.slice(i + 4, i + 8), 16)}:${run}`;
      yield [
        segment.slice(i, i + 4),
        withUnique ? `${reference}:${segment.slice(i + 8, i + 44)}` : reference,
      ];
    }
  }
}

/** The reference a `#m<job>` value holds for the position digits `digits`, if any. */
function madeReference(value: string | null | undefined, digits: string): string | undefined {
  if (!value) return undefined;
  for (const [d, reference] of madeReferences(value)) if (d === digits) return reference;
  return undefined;
}

/**
 * The records that `values` name, each found in `keys[i]`'s hash; a value that is a record itself (JSON, from
 * an older worker) is parsed as it is. One round trip for the record lines not in `cache`.
 */
async function resolveFinals(
  redis: RedisClient,
  keys: readonly string[],
  values: readonly string[],
  cache: FinalRecordLines = new Map(),
): Promise<FinalRecord[]> {
  const refs = values.map(parseReference);
  const missing = new Map<string, readonly [key: string, field: string]>();
  refs.forEach((ref, i) => {
    const at = ref && `${keys[i]} ${ref.field}`;
    if (at && !cache.has(at)) missing.set(at, [keys[i]!, ref.field]);
  });
  if (missing.size > 0) {
    const pipeline = redis.pipeline();
    for (const [key, field] of missing.values()) pipeline.hget(key, field);
    const replies = (await pipeline.exec()) ?? [];
    [...missing.keys()].forEach((at, i) => {
      const [err, lines] = replies[i] ?? [];
      if (err) throw err;
      cache.set(at, typeof lines === 'string' ? lines.split('\n') : []);
    });
  }
  return values.map((value, i) => {
    const ref = refs[i];
    if (ref === undefined) return JSON.parse(value) as FinalRecord;
    const lines = cache.get(`${keys[i]} ${ref.field}`) ?? [];
    const line = lines[ref.line]; // line 0 is the job id
    if (line === undefined)
      throw new Error(`final record ${ref.line} of ${ref.field} is missing in ${keys[i]}`);
    const record = { ...(JSON.parse(line) as Omit<FinalRecord, 'jobId'>), jobId: lines[0]! };
    return ref.uniqueId === undefined ? record : { ...record, uniqueId: ref.uniqueId };
  });
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
  const slot = madeSlot(lower);
  const pipeline = redis.pipeline();
  for (const b of buckets) pipeline.hget(queueKeys.finalOutcomes(app, b), lower);
  for (const b of buckets) pipeline.hget(queueKeys.notificationJobs(app, b), lower);
  if (slot) for (const b of buckets) pipeline.hget(queueKeys.finalOutcomes(app, b), slot.field);
  const results = ((await pipeline.exec()) ?? []).map(([, v]) => v as string | null);
  // The newest bucket that has it; in one bucket its own field first (a re-driven dead letter's).
  for (let i = 0; i < BUCKETS; i++) {
    const reference = results[i] ?? (slot && madeReference(results[2 * BUCKETS + i], slot.digits));
    if (!reference) continue;
    const [final] = await resolveFinals(redis, [queueKeys.finalOutcomes(app, buckets[i]!)], [reference]);
    return { final: final! };
  }
  const jobId = results.slice(BUCKETS, 2 * BUCKETS).find((v) => v !== null);
  return jobId ? { jobId } : {};
}

export interface FinalRecordsOptions {
  /** @defaultValue Date.now() */
  readonly now?: number;
  /** How many buckets back from `now`'s to look in. @defaultValue the retention window's */
  readonly buckets?: number;
  /** Record lines kept between calls (see FinalRecordLines). */
  readonly cache?: FinalRecordLines;
}

/**
 * The final records of `ids` (one app's), where they exist, the newest of each: one HMGET per status bucket,
 * then the record lines they name, in two round trips (a status read of a completed job of 1,000:
 * getPushJobStatus).
 */
export async function findFinalRecords(
  redis: RedisClient,
  app: string,
  ids: readonly string[],
  options: FinalRecordsOptions = {},
): Promise<Map<string, FinalRecord>> {
  const found = new Map<string, FinalRecord>();
  if (ids.length === 0) return found;
  const now = options.now ?? Date.now();
  const keys = Array.from({ length: options.buckets ?? BUCKETS }, (_, i) =>
    queueKeys.finalOutcomes(app, statusBucketOf(now) - i),
  );
  // Made ids by their job's field: one read per job and bucket, however many of its ids are asked for.
  const slots = ids.map(madeSlot);
  const madeFields = [...new Set(slots.flatMap((slot) => slot?.field ?? []))];
  const pipeline = redis.pipeline();
  for (const key of keys) {
    pipeline.hmget(key, ...ids);
    if (madeFields.length > 0) pipeline.hmget(key, ...madeFields);
  }
  const replies = (await pipeline.exec()) ?? [];
  const step = madeFields.length > 0 ? 2 : 1;
  const newest = new Map<string, readonly [key: string, value: string]>();
  keys.forEach((key, b) => {
    const [err, values] = replies[b * step] ?? [];
    if (err) throw err;
    (values as (string | null)[]).forEach((v, i) => {
      if (v !== null && !newest.has(ids[i]!)) newest.set(ids[i]!, [key, v]);
    });
    if (step === 1) return;
    const [madeErr, madeValues] = replies[b * step + 1] ?? [];
    if (madeErr) throw madeErr;
    // Each job's field read once into a map, so asking for all 1,000 ids of a job is one pass over it.
    const byField = new Map<string, Map<string, string>>();
    (madeValues as (string | null)[]).forEach((v, f) => {
      if (v) byField.set(madeFields[f]!, new Map(madeReferences(v)));
    });
    ids.forEach((id, i) => {
      const slot = slots[i];
      if (slot === undefined || newest.has(id)) return;
      const reference = byField.get(slot.field)?.get(slot.digits);
      if (reference) newest.set(id, [key, reference]);
    });
  });
  const entries = [...newest];
  const records = await resolveFinals(
    redis,
    entries.map(([, [key]]) => key),
    entries.map(([, [, value]]) => value),
    options.cache,
  );
  entries.forEach(([id], i) => {
    found.set(id, records[i]!);
  });
  return found;
}

/** Every final record of one app's bucket, by notification id (a whole-run audit: the chaos bench). */
export async function readFinalBucket(
  redis: RedisClient,
  app: string,
  bucket: number,
): Promise<Map<string, FinalRecord>> {
  const key = queueKeys.finalOutcomes(app, bucket);
  const fields = Object.entries(await redis.hgetall(key));
  // The record lines came with the hash: seeded here, they are not read a second time.
  const cache: FinalRecordLines = new Map(
    fields
      .filter(([field]) => field.startsWith('#r'))
      .map(([field, lines]) => [`${key} ${field}`, lines.split('\n')]),
  );
  // Made ids from their jobs' fields, then the ids with fields of their own (which win: a re-drive's).
  const byId = new Map<string, string>();
  for (const [field, value] of fields) {
    if (!field.startsWith('#m')) continue;
    const prefix = madeIdPrefix(field.slice(2));
    if (prefix !== undefined)
      for (const [digits, reference] of madeReferences(value)) byId.set(prefix + digits, reference);
  }
  for (const [field, value] of fields) if (!field.startsWith('#')) byId.set(field, value);
  const all = [...byId];
  const records = await resolveFinals(
    redis,
    all.map(() => key),
    all.map(([, value]) => value),
    cache,
  );
  return new Map(all.map(([id], i) => [id, records[i]!]));
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
