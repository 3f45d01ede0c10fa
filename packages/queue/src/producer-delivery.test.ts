/**
 * The producer's delivery promises: idempotent caller-chosen ids, scheduled sends, and failing fast (never
 * enqueueing later) when Redis is away.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './__fixtures__/redis-per-file.js';
import { BatchValidationError, RedisUnavailableError } from './errors.js';
import { IdempotencyConflictError } from './idempotency.js';
import { jobNotifications, type PushJobData } from './job.js';
import { getNotificationStatus } from './job-status.js';
import { candidateJobId } from './made-notification-id.js';
import { statusBucketOf } from './notification-status.js';
import { createProducer, PartialEnqueueError } from './producer.js';
import { appQueue, queueKeys } from './queue-keys.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

let server: RedisServer;
let redis: Redis;
redisPerFile((s, r) => {
  server = s;
  redis = r;
});

const token = (i: number) => i.toString(16).padStart(64, '0');
const apnsId = '6f1c5a0e-9d7b-4b6e-8f3a-2c1d0e9f8a7b';
const base = { token: token(1), topic: 'com.example.app', payload: { aps: { alert: 'hi' } }, apnsId };

async function jobCount(app: string): Promise<number> {
  const { name, prefix } = appQueue(app);
  const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
  try {
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}

describe('idempotent enqueue', () => {
  it('the same notification with the same apnsId twice: one job, both calls answer its id', async () => {
    const p = createProducer({ redis: server.url, app: 'idem1' });
    try {
      expect((await p.send(base)).ids).toEqual([apnsId]);
      expect((await p.sendMany([base])).ids).toEqual([apnsId]);
      expect(await jobCount('idem1')).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('the same apnsId for a different notification: refused naming the field, nothing changed', async () => {
    const p = createProducer({ redis: server.url, app: 'idem2' });
    try {
      await p.send(base);
      const other = { ...base, payload: { aps: { alert: 'something else' } } };
      await expect(p.send(other)).rejects.toThrow(IdempotencyConflictError);
      const fresh = { ...base, apnsId: undefined, token: token(2) };
      const err = await p.sendMany([fresh, other]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdempotencyConflictError);
      expect((err as IdempotencyConflictError).field).toBe('notifications[1].apnsId');
      expect(await jobCount('idem2')).toBe(1); // the fresh one of the refused batch was not enqueued either
      const { name, prefix } = appQueue('idem2');
      const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
      expect((await queue.getJob(apnsId))?.data.notifications[0]?.payload).toBe('{"aps":{"alert":"hi"}}');
      await queue.close();
    } finally {
      await p.close();
    }
  });
});

describe('scheduled notifications', () => {
  it('sendAt and delay become delayed jobs whose clock starts when they are due', async () => {
    const p = createProducer({ redis: server.url, app: 'sched1' });
    const { name, prefix } = appQueue('sched1');
    const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
    try {
      const at = Date.now() + 60_000;
      const { ids } = await p.sendMany([
        { ...base, apnsId: undefined, sendAt: new Date(at) },
        { ...base, apnsId: undefined, token: token(2), delay: 120_000 },
      ]);
      const [a, b] = await Promise.all(ids.map((id) => queue.getJob(id)));
      expect(await a?.getState()).toBe('delayed');
      expect(a?.data.enqueuedAt).toBeGreaterThanOrEqual(at - 5);
      expect(a?.data.notifications[0]?.sendAt).toBe(at);
      expect(await b?.getState()).toBe('delayed');
      expect(b?.opts.delay).toBeGreaterThan(110_000);
      await expect(p.send({ ...base, sendAt: at, delay: 5 })).rejects.toThrow(
        'delay: give sendAt or delay, not both',
      );
      await expect(p.send({ ...base, delay: -1 })).rejects.toThrow(/^delay: must be whole milliseconds/);
    } finally {
      await queue.close();
      await p.close();
    }
  });
});

describe('Redis away', () => {
  it('rejects within the configured time and never enqueues the refused call later', async () => {
    const down = await startRedisServer();
    const p = createProducer({ redis: down.url, app: 'away1', redisTimeoutMs: 300 });
    try {
      await p.send({ ...base, apnsId: undefined });
      const port = down.port;
      await down.close();
      const started = Date.now();
      const err = await p.send({ ...base, apnsId: undefined, token: token(3) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect((err as RedisUnavailableError).maybeEnqueued).toBe(false);
      expect(Date.now() - started).toBeLessThan(5_000); // bounded by the timeout, not by ioredis's retries
      // Back on the same port (empty, it was not persistent): the refused call must not appear.
      const back = await startRedisServer({ port });
      try {
        const check = new Redis(back.url);
        await new Promise((r) => setTimeout(r, 1_500)); // give ioredis time to reconnect and (wrongly) replay
        const keys = await check.keys('*');
        check.disconnect();
        expect(keys).toEqual([]);
        expect((await p.send({ ...base, apnsId: undefined, token: token(4) })).ids).toHaveLength(1);
      } finally {
        await back.close();
      }
    } finally {
      await p.close();
    }
  });
});

describe('sendMany failing part-way', () => {
  it('reports exactly which ids were enqueued when a later chunk fails', async () => {
    // A Redis user that may write app "part-a"'s keys but not "part-b"'s: the second chunk fails.
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'partial', 'on', '>secret', '~{pushfleet:part-a}*', '&*', '+@all');
    admin.disconnect();
    const url = server.url.replace('redis://', 'redis://partial:secret@');
    const p = createProducer({
      redis: url,
      routes: { apps: ['part-a', 'part-b'], appFor: (topic) => (topic.endsWith('.b') ? 'part-b' : 'part-a') },
      chunkSize: 2,
    });
    try {
      const n = (i: number, topic: string) => ({
        token: token(100 + i),
        topic,
        payload: { aps: { alert: `${i}` } },
      });
      const batch = [
        n(0, 'com.example.a'),
        n(1, 'com.example.a'),
        n(2, 'com.example.b'),
        n(3, 'com.example.b'),
      ];
      const err = await p.sendMany(batch).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PartialEnqueueError);
      const { enqueued, notEnqueued } = err as PartialEnqueueError;
      expect(enqueued).toHaveLength(2);
      expect(notEnqueued).toHaveLength(2);
      // Ids the producer never got to make are still UUIDs, each its own (never used).
      for (const nid of notEnqueued)
        expect(nid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set([...enqueued, ...notEnqueued]).size).toBe(4);
      expect(await jobCount('part-a')).toBe(1); // one job carrying both
      expect(await jobCount('part-b')).toBe(0);
      const found = await Promise.all(enqueued.map((id) => getNotificationStatus(redis, 'part-a', id)));
      expect(found.map((f) => f?.state)).toEqual(['pending', 'pending']);
    } finally {
      await p.close();
    }
  });
});

describe('fan-out', () => {
  it('one payload to 250 tokens: validated once, one id per token, packed into jobs of 100', async () => {
    const p = createProducer({ redis: server.url, app: 'fan1', jobSize: 100 });
    try {
      const tokens = Array.from({ length: 250 }, (_, i) => token(1000 + i));
      const { ids, jobIds } = await p.fanOut({
        tokens,
        topic: 'com.example.app',
        payload: { aps: { alert: 'all' } },
      });
      expect(new Set(ids).size).toBe(250);
      expect(jobIds).toHaveLength(3);
      const status = await getNotificationStatus(redis, 'fan1', ids[249]!);
      const { name, prefix } = appQueue('fan1');
      const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
      const job = await queue.getJob(status!.jobId);
      await queue.close();
      const last = jobNotifications(job!.data, status!.jobId).find((n) => n.id === ids[249]);
      expect(last).toMatchObject({
        token: tokens[249],
        payload: '{"aps":{"alert":"all"}}',
        pushType: 'alert',
      });
      // The payload is stored once per job, not once per token.
      expect(job!.data.common?.payload).toBe('{"aps":{"alert":"all"}}');
      expect(job!.data.notifications.every((n) => n.payload === undefined)).toBe(true);
      // Nor the ids the job made: each is its job's id with its place in the last four digits.
      expect(job!.data.notifications.every((n) => n.id === undefined)).toBe(true);
      expect(JSON.stringify(job!.data).split('alert').length - 1).toBe(2); // the push type and the payload, once each
    } finally {
      await p.close();
    }
  });

  it('names every bad token by its index and enqueues nothing; an apnsId cannot serve many tokens', async () => {
    const p = createProducer({ redis: server.url, app: 'fan2' });
    try {
      const tokens = [token(1), 'nothex', token(2), 'abc'];
      const err = await p
        .fanOut({ tokens, topic: 'com.example.app', payload: { aps: {} } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BatchValidationError);
      expect((err as BatchValidationError).problems).toEqual([
        { index: 1, field: 'token', problem: 'must be hexadecimal (0-9, a-f)' },
        { index: 3, field: 'token', problem: 'has an odd number of hex digits (3)' },
      ]);
      expect((err as BatchValidationError).field).toBe('tokens[1].token');
      await expect(
        p.fanOut({ tokens, topic: 'com.example.app', payload: { aps: {} }, apnsId: apnsId } as never),
      ).rejects.toThrow(/^apnsId: one id cannot serve many tokens/);
      await expect(p.fanOut({ tokens: [], topic: 'com.example.app', payload: { aps: {} } })).rejects.toThrow(
        'tokens: must be a non-empty array of device tokens',
      );
      expect(await jobCount('fan2')).toBe(0);
    } finally {
      await p.close();
    }
  });
});

describe('made ids', () => {
  it("name their job: no index entry for them, each found by id; a chosen id and its job's others are indexed", async () => {
    const p = createProducer({ redis: server.url, app: 'made1', jobSize: 100 });
    try {
      const chosen = '0b8e7d1c-2f3a-4c5d-9e6f-7a8b9c0d1e2f';
      const batch = Array.from({ length: 250 }, (_, i) => ({
        token: token(2000 + i),
        topic: 'com.example.app',
        payload: { aps: { alert: `${i}` } },
        // The first of the third job, and one inside the first.
        ...(i === 200 ? { apnsId: chosen } : i === 7 ? { apnsId: apnsId.replace('6f1c', '7f1c') } : {}),
      }));
      const { ids, jobIds } = await p.sendMany(batch);
      expect(new Set(ids).size).toBe(250);
      expect(ids[200]).toBe(chosen);
      expect(jobIds).toEqual([ids[0], ids[100], chosen]);
      // The made ids of the first two jobs name them; the third job's id was chosen, so its made ids are
      // indexed, as is the chosen id inside the first job: 1 + 50 entries.
      for (const i of [0, 1, 99]) expect(candidateJobId(ids[i]!)).toBe(jobIds[0]);
      expect(candidateJobId(ids[150]!)).toBe(jobIds[1]);
      const index = await redis.hgetall(queueKeys.notificationJobs('made1', statusBucketOf(Date.now())));
      expect(Object.keys(index).sort()).toEqual([ids[7]!, ...ids.slice(200)].sort());
      expect(index[ids[201]!]).toBe(chosen);
      const found = await Promise.all(ids.map((id) => getNotificationStatus(redis, 'made1', id)));
      expect(found.map((f) => f?.jobId)).toEqual(ids.map((_, i) => jobIds[Math.floor(i / 100)]));
      expect(found.every((f) => f?.state === 'pending')).toBe(true);
      // A made-looking id that no job holds reads as unknown.
      expect(await getNotificationStatus(redis, 'made1', `${ids[0]!.slice(0, 32)}ffff`)).toBeUndefined();
    } finally {
      await p.close();
    }
  });
});
