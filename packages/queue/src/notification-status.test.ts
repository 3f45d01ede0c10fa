import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './__fixtures__/redis-per-file.js';
import { madeNotificationId, newJobId } from './made-notification-id.js';
import {
  type FinalRecord,
  type FinalRecordLines,
  findFinalRecords,
  findNotification,
  indexNotifications,
  outcomeCounts,
  readFinalBucket,
  recordFinalOutcomes,
  STATUS_BUCKET_MS,
  STATUS_RETENTION_MS,
  statusBucketOf,
} from './notification-status.js';
import { queueKeys } from './queue-keys.js';

let redis: Redis;
redisPerFile((_, r) => {
  redis = r;
});

const MINUTE = 60_000;
const id = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** `count` first-try deliveries of one job, the i-th to id(from + i) at `at(i)`. */
function deliveries(count: number, o: { from: number; at: (i: number) => number; jobId: string }) {
  return Array.from({ length: count }, (_, i) => {
    const record = { outcome: 'delivered' as const, status: 200, at: o.at(i), attempts: 1, jobId: o.jobId };
    return [id(o.from + i), record] as const;
  });
}

describe('notification status by id', () => {
  it('finds the job of an indexed notification for the retention, and not after it', async () => {
    const t0 = Date.now();
    const p = redis.pipeline();
    indexNotifications(p, 'st1', [[id(1), 'job-1']], t0);
    await p.exec();
    expect(await findNotification(redis, 'st1', id(1), t0 + 50 * MINUTE)).toEqual({ jobId: 'job-1' });
    // Past the retention and the bucket it was written in, the read no longer looks there.
    expect(await findNotification(redis, 'st1', id(1), t0 + STATUS_RETENTION_MS + STATUS_BUCKET_MS)).toEqual(
      {},
    );
  });

  it('indexes a batch larger than one HSET call, every pair to its own job', async () => {
    const t0 = Date.now();
    const entries = Array.from(
      { length: 1234 },
      (_, i) => [id(10_000 + i), `job-${Math.floor(i / 100)}`] as const,
    );
    const p = redis.pipeline();
    indexNotifications(p, 'st9', entries, t0);
    await p.exec();
    expect(await redis.hlen(queueKeys.notificationJobs('st9', statusBucketOf(t0)))).toBe(1234);
    for (const i of [0, 499, 500, 999, 1000, 1233])
      expect(await findNotification(redis, 'st9', entries[i]![0], t0)).toEqual({ jobId: entries[i]![1] });
  });

  it('a final record wins over the index and reads for the retention', async () => {
    const t0 = Date.now();
    const p = redis.pipeline();
    indexNotifications(p, 'st2', [[id(2), 'job-2']], t0);
    await p.exec();
    const record = { outcome: 'delivered' as const, status: 200, at: t0, attempts: 1, jobId: 'job-2' };
    await recordFinalOutcomes(redis, 'st2', [[id(2), record]], t0 + 5 * MINUTE);
    expect((await findNotification(redis, 'st2', id(2), t0 + 60 * MINUTE)).final).toEqual(record);
    expect(await findNotification(redis, 'st2', id(2), t0 + 90 * MINUTE)).toEqual({});
  });

  it('indexed again (a retried run), a notification is found past the first index', async () => {
    const t0 = Date.now();
    for (const at of [t0, t0 + 50 * MINUTE]) {
      const p = redis.pipeline();
      indexNotifications(p, 'st3', [[id(3), 'job-3']], at);
      await p.exec();
    }
    expect(await findNotification(redis, 'st3', id(3), t0 + 100 * MINUTE)).toEqual({ jobId: 'job-3' });
  });

  it('each bucket expires in Redis about the retention after the bucket ends (bounded memory)', async () => {
    const now = Date.now();
    await recordFinalOutcomes(redis, 'st4', [
      [id(4), { outcome: 'delivered', at: now, attempts: 1, jobId: 'j' }],
    ]);
    const ttl = await redis.pttl(queueKeys.finalOutcomes('st4', statusBucketOf(now)));
    expect(ttl).toBeGreaterThan(STATUS_RETENTION_MS - 1000);
    expect(ttl).toBeLessThanOrEqual(STATUS_RETENTION_MS + STATUS_BUCKET_MS);
  });

  it('a run of alike and distinct records: each notification reads its own, counted per outcome', async () => {
    const t0 = Date.now();
    const delivered = { outcome: 'delivered' as const, status: 200, at: t0, attempts: 1, jobId: 'job-8' };
    const dead = {
      outcome: 'token-invalid' as const,
      status: 410,
      reason: 'Unregistered',
      at: t0,
      attempts: 1,
      jobId: 'job-8',
    };
    const retried = { ...delivered, attempts: 2 };
    const finals = Array.from({ length: 50 }, (_, i) => {
      const record = i % 10 === 3 ? dead : i % 10 === 7 ? { ...retried } : { ...delivered };
      return [`${String(800 + i).padStart(8, '0')}-0000-4000-8000-000000000000`, record] as const;
    });
    expect(await recordFinalOutcomes(redis, 'st8', finals, t0)).toBe(50);
    for (const [nid, record] of finals)
      expect((await findNotification(redis, 'st8', nid, t0)).final).toEqual(record);
    expect(await outcomeCounts(redis, 'st8')).toEqual({ delivered: 45, 'token-invalid': 5 });
  });

  it('records a run larger than one HMGET at a time, skipping each one the same job recorded before', async () => {
    const t0 = Date.now();
    const finals = deliveries(1200, { from: 20_000, at: (i) => t0 + (i % 7), jobId: 'job-10' });
    const earlier = finals.filter((_, i) => i % 12 === 0); // 100, spread over every slice of 500
    expect(await recordFinalOutcomes(redis, 'st10', earlier, t0)).toBe(100);
    expect(await recordFinalOutcomes(redis, 'st10', finals, t0)).toBe(1100);
    expect(await outcomeCounts(redis, 'st10')).toEqual({ delivered: 1200 });
    for (const i of [0, 499, 500, 1199])
      expect((await findNotification(redis, 'st10', finals[i]![0], t0)).final).toEqual(finals[i]![1]);
  });

  it('counts each end once per job: a stale run of the same job is not counted again; a re-drive (a new job) is', async () => {
    const t0 = Date.now();
    const first = { outcome: 'delivered' as const, at: t0, attempts: 1, jobId: 'job-5' };
    expect(
      await recordFinalOutcomes(
        redis,
        'st5',
        [
          [id(5), first],
          [id(6), first],
        ],
        t0,
      ),
    ).toBe(2);
    // The same job's stale run ends them again, one of them in the next bucket: nothing new.
    expect(await recordFinalOutcomes(redis, 'st5', [[id(5), first]], t0)).toBe(0);
    expect(await recordFinalOutcomes(redis, 'st5', [[id(6), first]], t0 + STATUS_BUCKET_MS)).toBe(0);
    expect(await outcomeCounts(redis, 'st5')).toEqual({ delivered: 2 });
    // Dead-lettered, then re-driven in a new job and delivered: its latest end is what reads.
    const redriven = { outcome: 'dead-lettered' as const, at: t0, attempts: 3, jobId: 'job-7' };
    await recordFinalOutcomes(redis, 'st5', [[id(7), redriven]], t0);
    const again = { outcome: 'delivered' as const, at: t0, attempts: 1, jobId: 'job-7:redrive' };
    expect(await recordFinalOutcomes(redis, 'st5', [[id(7), again]], t0)).toBe(1);
    expect((await findNotification(redis, 'st5', id(7), t0)).final).toEqual(again);
    expect(await outcomeCounts(redis, 'st5')).toEqual({ delivered: 3, 'dead-lettered': 1 });
  });

  it("stores a run's distinct records once, each notification naming its line", async () => {
    const t0 = Date.now();
    const finals = deliveries(1000, { from: 30_000, at: (i) => t0 + (i % 50), jobId: '77' });
    expect(await recordFinalOutcomes(redis, 'st11', finals, t0)).toBe(1000);
    const all = await redis.hgetall(queueKeys.finalOutcomes('st11', statusBucketOf(t0)));
    // The notifications, the bucket's run counter, the job's runs and one field of record lines: 50 records,
    // not 1,000.
    expect(Object.keys(all)).toHaveLength(1003);
    expect([all['#'], all['#j77']]).toEqual(['1', '1']);
    const [job, ...lines] = all['#r1']!.split('\n').filter(Boolean);
    expect(job).toBe('77');
    expect(lines).toHaveLength(50);
    expect(lines.every((l) => !l.includes('jobId'))).toBe(true);
    expect(all[id(30_000)]).toBe('1:1');
    const found = await findFinalRecords(
      redis,
      'st11',
      finals.map(([nid]) => nid),
      { now: t0 },
    );
    expect(found.size).toBe(1000);
    for (const [nid, record] of finals) expect(found.get(nid)).toEqual(record);
    const bucket = await readFinalBucket(redis, 'st11', statusBucketOf(t0));
    expect(bucket).toEqual(new Map(finals));
  });

  it('a record line keeps every field, escaped, and each sandbox delivery has its own line', async () => {
    const t0 = Date.now();
    const odd = {
      outcome: 'rejected' as const,
      status: 400,
      reason: 'said "no"\nthen \\ left',
      at: t0,
      attempts: 3,
      jobId: '79',
    };
    // Two sandbox deliveries alike but for Apple's unique id, and two without one that are alike.
    const sandbox = (u: string) => ({
      outcome: 'delivered' as const,
      status: 200,
      uniqueId: u,
      at: t0,
      attempts: 1,
      jobId: '79',
    });
    const plain = { outcome: 'delivered' as const, status: 200, at: t0 + 1, attempts: 1, jobId: '79' };
    const finals: [string, FinalRecord][] = [
      [id(40), odd],
      [id(41), sandbox('a-1')],
      [id(42), sandbox('a-2')],
      [id(43), plain],
      [id(44), { ...plain }],
    ];
    await recordFinalOutcomes(redis, 'st13', finals, t0);
    const all = await redis.hgetall(queueKeys.finalOutcomes('st13', statusBucketOf(t0)));
    expect(all['#r1']!.split('\n').filter(Boolean)).toHaveLength(1 + 4); // the job, then 4 distinct lines
    const found = await findFinalRecords(
      redis,
      'st13',
      finals.map(([nid]) => nid),
      { now: t0 },
    );
    for (const [nid, record] of finals) expect(found.get(nid)).toEqual(record);
  });

  it('each write in a bucket gets lines of its own, and the job lists its writes', async () => {
    const t0 = Date.now();
    const early = { outcome: 'delivered' as const, status: 200, at: t0, attempts: 1, jobId: '78' };
    const late = { outcome: 'expired' as const, at: t0 + 1, attempts: 2, jobId: '78' };
    await recordFinalOutcomes(redis, 'st12', [[id(12), early]], t0);
    await recordFinalOutcomes(redis, 'st12', [[id(13), late]], t0);
    expect((await findNotification(redis, 'st12', id(12), t0)).final).toEqual(early);
    expect((await findNotification(redis, 'st12', id(13), t0)).final).toEqual(late);
    const key = queueKeys.finalOutcomes('st12', statusBucketOf(t0));
    expect(await redis.hmget(key, id(13), '#j78')).toEqual(['1:2', '1 2']);
  });

  it('reads a record an older worker stored whole, as JSON', async () => {
    const t0 = Date.now();
    const record = { outcome: 'delivered' as const, status: 200, at: t0, attempts: 1, jobId: 'old-1' };
    await redis.hset(queueKeys.finalOutcomes('st13', statusBucketOf(t0)), id(14), JSON.stringify(record));
    expect((await findNotification(redis, 'st13', id(14), t0)).final).toEqual(record);
    expect((await findFinalRecords(redis, 'st13', [id(14)], { now: t0 })).get(id(14))).toEqual(record);
  });

  it("with a cache, reads a run's record lines once however often its notifications are looked up", async () => {
    const t0 = Date.now();
    const record = { outcome: 'delivered' as const, status: 200, at: t0, attempts: 1, jobId: '79' };
    await recordFinalOutcomes(
      redis,
      'st14',
      [
        [id(15), record],
        [id(16), record],
      ],
      t0,
    );
    const cache: FinalRecordLines = new Map();
    expect((await findFinalRecords(redis, 'st14', [id(15)], { now: t0, cache })).get(id(15))).toEqual(record);
    // Gone from Redis, the lines are still known to this cache (and only to it).
    await redis.hdel(queueKeys.finalOutcomes('st14', statusBucketOf(t0)), '#r1');
    expect((await findFinalRecords(redis, 'st14', [id(16)], { now: t0, cache })).get(id(16))).toEqual(record);
    await expect(findFinalRecords(redis, 'st14', [id(16)], { now: t0 })).rejects.toThrow(/#r1 is missing/);
  });

  it("keeps the ids a job made in one field of the job's, readable by id, by list and by bucket", async () => {
    const t0 = Date.now();
    const jobId = newJobId();
    const madeId = (i: number) => madeNotificationId(jobId, i)!;
    const record = (i: number): FinalRecord =>
      i % 100 === 7
        ? { outcome: 'token-invalid', status: 410, reason: 'Unregistered', at: t0, attempts: 1, jobId }
        : { outcome: 'delivered', status: 200, at: t0 + (i % 3), attempts: 1, jobId };
    // 1,000 made ids, and one the caller chose in the same job.
    const finals: [string, FinalRecord][] = Array.from({ length: 1000 }, (_, i) => [madeId(i), record(i)]);
    finals.push([id(90), record(1)]);
    expect(await recordFinalOutcomes(redis, 'st16', finals, t0)).toBe(1001);
    const key = queueKeys.finalOutcomes('st16', statusBucketOf(t0));
    // No field per made id: the counter, the job's runs, its record lines, its made ids and the chosen id.
    const all = await redis.hgetall(key);
    expect(Object.keys(all).sort()).toEqual(['#', `#j${jobId}`, `#m${jobId}`, '#r1', id(90)].sort());
    expect(all[`#m${jobId}`]).toHaveLength('1:'.length + 8 * 1000 + 1);
    expect(await outcomeCounts(redis, 'st16')).toEqual({ delivered: 991, 'token-invalid': 10 });
    for (const i of [0, 7, 255, 999])
      expect((await findNotification(redis, 'st16', madeId(i), t0)).final).toEqual(record(i));
    expect((await findNotification(redis, 'st16', id(90), t0)).final).toEqual(record(1));
    // An id of the same job that it never ended, and another job's, read as unknown.
    expect(await findNotification(redis, 'st16', madeId(1000), t0)).toEqual({});
    expect(await findNotification(redis, 'st16', madeNotificationId(newJobId(), 3)!, t0)).toEqual({});
    const found = await findFinalRecords(
      redis,
      'st16',
      finals.map(([nid]) => nid),
      { now: t0 },
    );
    expect(found).toEqual(new Map(finals));
    expect(await readFinalBucket(redis, 'st16', statusBucketOf(t0))).toEqual(new Map(finals));
  });

  it('a stale run does not count a made id twice, in this bucket or the next; a re-drive of one is read', async () => {
    const t0 = statusBucketOf(Date.now()) * STATUS_BUCKET_MS + STATUS_BUCKET_MS - 10;
    const jobId = newJobId();
    const madeId = (i: number) => madeNotificationId(jobId, i)!;
    const ended = (i: number, attempts = 1): [string, FinalRecord] => [
      madeId(i),
      { outcome: 'delivered', status: 200, at: t0, attempts, jobId },
    ];
    expect(await recordFinalOutcomes(redis, 'st17', [ended(0), ended(1), ended(2)], t0)).toBe(3);
    // The same job's stale run ends 1 and 2 again (with other records) and 3 for the first time, then, in the
    // next bucket, 0 again and 4.
    expect(await recordFinalOutcomes(redis, 'st17', [ended(1, 2), ended(2, 2), ended(3, 2)], t0)).toBe(1);
    expect(await recordFinalOutcomes(redis, 'st17', [ended(0, 3), ended(4, 3)], t0 + STATUS_BUCKET_MS)).toBe(
      1,
    );
    expect(await outcomeCounts(redis, 'st17')).toEqual({ delivered: 5 });
    const later = t0 + STATUS_BUCKET_MS;
    for (const [i, attempts] of [
      [0, 1],
      [1, 1],
      [3, 2],
      [4, 3],
    ] as const)
      expect((await findNotification(redis, 'st17', madeId(i), later)).final?.attempts).toBe(attempts);
    // Dead-lettered, then re-driven in a new job (where its id is one the job did not make) and delivered:
    // the re-drive's end is what every read gives.
    const dead = newJobId();
    const deadId = madeNotificationId(dead, 5)!;
    await recordFinalOutcomes(
      redis,
      'st17',
      [[deadId, { outcome: 'dead-lettered', at: t0, attempts: 3, jobId: dead }]],
      t0,
    );
    const again: FinalRecord = {
      outcome: 'delivered',
      status: 200,
      at: t0 + 1,
      attempts: 1,
      jobId: newJobId(),
    };
    expect(await recordFinalOutcomes(redis, 'st17', [[deadId, again]], t0)).toBe(1);
    expect((await findNotification(redis, 'st17', deadId, t0)).final).toEqual(again);
    expect((await findFinalRecords(redis, 'st17', [deadId], { now: t0 })).get(deadId)).toEqual(again);
    expect((await readFinalBucket(redis, 'st17', statusBucketOf(t0))).get(deadId)).toEqual(again);
  });

  it("keeps a made id's sandbox unique id in its entry, so alike deliveries still share one line", async () => {
    const t0 = Date.now();
    const jobId = newJobId();
    const madeId = (i: number) => madeNotificationId(jobId, i)!;
    const uuid = (i: number) => `aaaaaaaa-bbbb-4ccc-8ddd-${i.toString(16).padStart(12, '0')}`;
    const delivery = (i: number, attempts = 1): FinalRecord => ({
      outcome: 'delivered',
      status: 200,
      uniqueId: uuid(i),
      at: t0 + (i % 10),
      attempts,
      jobId,
    });
    const finals: [string, FinalRecord][] = Array.from({ length: 1000 }, (_, i) => [madeId(i), delivery(i)]);
    // One whose unique id is not a UUID keeps it in its line, as any other id does.
    finals.push([madeId(1000), { ...delivery(1000), uniqueId: 'not:a-uuid' }]);
    expect(await recordFinalOutcomes(redis, 'st18', finals, t0)).toBe(1001);
    const key = queueKeys.finalOutcomes('st18', statusBucketOf(t0));
    const all = await redis.hgetall(key);
    expect(all['#r1']!.split('\n').filter(Boolean)).toHaveLength(1 + 10 + 1); // the job, 10 shared, the odd one
    for (const i of [0, 9, 999, 1000])
      expect((await findNotification(redis, 'st18', madeId(i), t0)).final).toEqual(finals[i]![1]);
    const ids = finals.map(([nid]) => nid);
    expect(await findFinalRecords(redis, 'st18', ids, { now: t0 })).toEqual(new Map(finals));
    expect(await readFinalBucket(redis, 'st18', statusBucketOf(t0))).toEqual(new Map(finals));
    // A stale run ends some again with other unique ids, and one for the first time: only that one counts,
    // and the first ends are what reads.
    const stale: [string, FinalRecord][] = [0, 500, 1001].map((i) => [madeId(i), delivery(i + 5000, 2)]);
    expect(await recordFinalOutcomes(redis, 'st18', stale, t0)).toBe(1);
    expect((await findNotification(redis, 'st18', madeId(500), t0)).final).toEqual(finals[500]![1]);
    expect((await findNotification(redis, 'st18', madeId(1001), t0)).final).toEqual(stale[2]![1]);
    expect(await outcomeCounts(redis, 'st18')).toEqual({ delivered: 1002 });
  });

  it('refuses a write that mixes jobs, before touching Redis', async () => {
    const t0 = Date.now();
    const a = { outcome: 'delivered' as const, at: t0, attempts: 1, jobId: 'a' };
    await expect(
      recordFinalOutcomes(
        redis,
        'st15',
        [
          [id(17), a],
          [id(18), { ...a, jobId: 'b' }],
        ],
        t0,
      ),
    ).rejects.toThrow(/one job per call/);
    expect(await redis.exists(queueKeys.finalOutcomes('st15', statusBucketOf(t0)))).toBe(0);
  });
});
