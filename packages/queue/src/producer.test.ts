import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchValidationError, ValidationError } from './errors.js';
import { JOB_RECORD_VERSION, jobNotificationIds, PUSH_JOB_NAME } from './job.js';
import { createProducer, type Producer } from './producer.js';
import { queueKeys } from './queue-keys.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

let server: RedisServer;
let redis: Redis;
const producers: Producer[] = [];
let n = 0;
const token = (i: number) => i.toString(16).padStart(64, '0');
const notification = (i: number) => ({
  token: token(i),
  topic: 'com.example.app',
  payload: { aps: { alert: `#${i}` } },
});

function producer(): Producer {
  const p = createProducer({ redis: server.url, app: `app${++n}` });
  producers.push(p);
  return p;
}

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

describe('createProducer', () => {
  it('enqueues a validated job record keyed by its apns-id under the app hash tag', async () => {
    const p = producer();
    const { jobIds, ids } = await p.send({ ...notification(1), priority: 5, collapseId: 'c1' });
    expect(jobIds).toEqual(ids);
    const job = await p.queue.getJob(jobIds[0]!);
    expect(job?.name).toBe(PUSH_JOB_NAME);
    expect(job?.data).toMatchObject({
      v: JOB_RECORD_VERSION,
      app: `app${n}`,
      notifications: [
        {
          token: token(1),
          topic: 'com.example.app',
          pushType: 'alert',
          priority: 5,
          collapseId: 'c1',
          payload: '{"aps":{"alert":"#1"}}',
        },
      ],
    });
    // The job made the id (it names the job): the entry leaves it out, and it reads back from the job id.
    expect(job?.data.notifications[0]).not.toHaveProperty('id');
    expect(jobNotificationIds(job!.data, job!.id!)).toEqual(ids);
    const keys = await redis.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    // Every key of the app carries its hash tag (one Redis Cluster slot): BullMQ's and the status index.
    for (const key of keys.filter((k) => k.includes(`app${n}`)))
      expect(key.startsWith(`{pushfleet:app${n}}:`)).toBe(true);
    expect(keys.some((k) => k.startsWith(`{pushfleet:app${n}}:notifications:`))).toBe(true);
  });

  it('refuses an oversize payload with the size and limit, and enqueues nothing', async () => {
    const p = producer();
    const big = { ...notification(2), payload: { aps: { alert: 'x'.repeat(4100) } } };
    await expect(p.send(big)).rejects.toThrow(/^payload: 4,1\d\d bytes > 4,096 byte limit/);
    expect(await p.queue.count()).toBe(0);
    // Only BullMQ's queue metadata exists: no job hash, no wait list, no id counter.
    const keys = await redis.keys(`${queueKeys.bullPrefix(`app${n}`)}*`);
    expect(keys.filter((k) => !k.endsWith(':meta'))).toEqual([]);
  });

  it('sendMany validates everything first: one bad notification means nothing is enqueued', async () => {
    const p = producer();
    const batch = [
      notification(1),
      notification(2),
      { ...notification(3), token: 'nothex' },
      notification(4),
    ];
    const err = await p.sendMany(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('notifications[2].token');
    expect(await p.queue.count()).toBe(0);
  });

  it('sendMany reports every problem of a batch at once: 1,000 with 3 bad names exactly those 3', async () => {
    const p = producer();
    const batch: unknown[] = Array.from({ length: 1000 }, (_, i) => notification(i));
    batch[17] = { ...notification(17), token: 'nothex' };
    batch[500] = { ...notification(500), priority: 7 };
    batch[999] = { ...notification(999), payload: { noAps: true } };
    const err = await p.sendMany(batch as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchValidationError);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as BatchValidationError).problems).toEqual([
      { index: 17, field: 'token', problem: 'must be hexadecimal (0-9, a-f)' },
      { index: 500, field: 'priority', problem: 'must be 10, 5 or 1; got 7' },
      { index: 999, field: 'payload.aps', problem: 'is required and must be an object' },
    ]);
    expect((err as ValidationError).field).toBe('notifications[17].token');
    expect((err as Error).message).toBe(
      'notifications[17].token: must be hexadecimal (0-9, a-f) (and 2 more: see problems)',
    );
    expect(await p.queue.count()).toBe(0);
    // checkMany finds the same, without Redis, and says where the good ones would go.
    const check = p.checkMany(batch);
    expect(check.problems).toEqual((err as BatchValidationError).problems);
    expect(check.apps[0]).toBe(`app${n}`);
    expect(check.apps[17]).toBeUndefined();
  });

  it('sendMany bulk-adds in chunks, packing each chunk into jobs of up to jobSize, in order', async () => {
    const p = createProducer({ redis: server.url, app: `app${++n}`, chunkSize: 20, jobSize: 8 });
    producers.push(p);
    const batch = Array.from({ length: 50 }, (_, i) => notification(i));
    const { jobIds, ids } = await p.sendMany(batch);
    expect(new Set(ids).size).toBe(50);
    expect(jobIds).toHaveLength(8); // chunks of 20, 20, 10 -> jobs of 8+8+4, 8+8+4, 8+2
    expect(await p.queue.count()).toBe(8);
    const jobs = await Promise.all(jobIds.map((id) => p.queue.getJob(id)));
    expect(jobs.map((j) => j?.data.notifications.length)).toEqual([8, 8, 4, 8, 8, 4, 8, 2]);
    const jobIdsOfIds = jobs.map((j) => jobNotificationIds(j!.data, j!.id!));
    expect(jobIdsOfIds.flat()).toEqual(ids);
    expect(jobs.map((j) => j?.id)).toEqual(jobIdsOfIds.map((list) => list[0]));
  });

  it('enqueueing the same apns-id twice keeps one job', async () => {
    const p = producer();
    const apnsId = '11111111-2222-4333-8444-555555555555';
    await p.send({ ...notification(1), apnsId });
    await p.send({ ...notification(1), apnsId });
    expect(await p.queue.count()).toBe(1);
  });

  it('refuses a bad app name', () => {
    expect(() => createProducer({ redis: server.url, app: 'Bad App' })).toThrow(/^app: "Bad App" must be/);
  });
});

describe('createProducer with routes', () => {
  it('routes by topic or explicit app, and refuses a topic no app owns without enqueuing anything', async () => {
    const { routesFor } = await import('./app-routes.js');
    const p = createProducer({
      redis: server.url,
      routes: routesFor([
        { name: 'shop1', topics: ['com.example.shop'] },
        { name: 'news1', topics: ['com.example.news'] },
      ]),
    });
    producers.push(p);
    const t = token(9);
    await p.send({ token: t, topic: 'com.example.news', payload: { aps: { alert: 'n' } } });
    await p.sendMany([
      { token: t, topic: 'com.example.shop', payload: { aps: { alert: 's' } } },
      { token: t, topic: 'com.example.news', payload: { aps: { alert: 'n2' } } },
    ]);
    expect(await p.queueFor('news1').count()).toBe(2);
    expect(await p.queueFor('shop1').count()).toBe(1);
    expect(p.queue.opts.prefix).toBe('{pushfleet:shop1}'); // the first routed app is the default

    const bad = p.sendMany([
      { token: t, topic: 'com.example.shop', payload: { aps: {} } },
      { token: t, topic: 'com.example.unknown', payload: { aps: {} } },
    ]);
    await expect(bad).rejects.toThrow(
      'notifications[1].topic: "com.example.unknown" belongs to no configured app',
    );
    await expect(
      p.send({ token: t, topic: 'com.example.shop', payload: { aps: {} }, app: 'nope' }),
    ).rejects.toThrow('app: "nope" is not a configured app (known: shop1, news1)');
    expect(await p.queueFor('shop1').count()).toBe(1);
  });
});
