import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './__fixtures__/redis-per-file.js';
import { addDeadLetters } from './dead-letter.js';
import { validateNotification } from './notification.js';
import { createProducer } from './producer.js';
import { readQueueDepth } from './queue-depth.js';
import { appQueue } from './queue-keys.js';
import type { RedisServer } from './redis-server.js';

let server: RedisServer;
let redis: Redis;
redisPerFile((s, r) => {
  server = s;
  redis = r;
});

const notification = (i: number, extra: Record<string, unknown> = {}) => ({
  token: i.toString(16).padStart(64, '0'),
  topic: 'com.example.app',
  payload: { aps: { alert: `n${i}` } },
  ...extra,
});

describe('readQueueDepth', () => {
  it('is all zeros with no head for an app that has no jobs', async () => {
    expect(await readQueueDepth(redis, 'empty')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      prioritized: 0,
      failed: 0,
      deadLettered: 0,
      head: undefined,
    });
  });

  it('counts waiting, delayed, active and dead-lettered jobs, and dates the oldest waiting one', async () => {
    const app = 'depth';
    const producer = createProducer({ redis: server.url, app });
    const before = Date.now();
    const first = await producer.send(notification(1));
    const after = Date.now();
    await producer.send(notification(2));
    await producer.send(notification(3));
    await producer.send(notification(4, { delay: 60_000 }));
    const dead = validateNotification(notification(5));
    await addDeadLetters(redis, app, [
      {
        app,
        notification: dead,
        outcome: 'dead-lettered',
        reason: 'retry horizon passed',
        attempts: [],
        enqueuedAt: before,
        deadAt: before,
        jobId: dead.id,
      },
    ]);
    const depth = await readQueueDepth(redis, app);
    expect(depth).toMatchObject({
      waiting: 3,
      active: 0,
      delayed: 1,
      prioritized: 0,
      failed: 0,
      deadLettered: 1,
    });
    expect(depth.head?.id).toBe(first.jobIds[0]);
    expect(depth.head!.dueAt).toBeGreaterThanOrEqual(before);
    expect(depth.head!.dueAt).toBeLessThanOrEqual(after);

    // Same head as last time: its due time is kept, not read again.
    const again = await readQueueDepth(redis, app, { id: depth.head!.id, dueAt: 42 });
    expect(again.head).toEqual({ id: depth.head!.id, dueAt: 42 });

    // A worker holding one job: active 1, and the head moves on to the second job.
    const { name, prefix } = appQueue(app);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const worker = new Worker(
      name,
      async () => {
        started();
        await held;
      },
      { connection: redis.duplicate(), prefix, concurrency: 1 },
    );
    await running;
    const busy = await readQueueDepth(redis, app);
    expect(busy).toMatchObject({ waiting: 2, active: 1 });
    expect(busy.head?.id).not.toBe(first.jobIds[0]);
    await worker.pause(true).catch(() => undefined);
    release();
    await worker.close();
    await producer.close();
  });

  it('dates a head job that ran before by when it was first seen there (BullMQ keeps no promotion time)', async () => {
    const app = 'rerun';
    const producer = createProducer({ redis: server.url, app });
    const { jobIds } = await producer.send(notification(1));
    const { name, prefix } = appQueue(app);
    const queue = new Queue(name, { connection: redis, prefix });
    // As a retried or stalled job looks: it has a processedOn from its earlier run.
    await redis.hset(queue.toKey(jobIds[0]!), 'processedOn', String(Date.now() - 3_600_000));
    const depth = await readQueueDepth(redis, app, undefined, 1_000_000);
    expect(depth.head).toEqual({ id: jobIds[0], dueAt: 1_000_000 });
    await queue.close();
    await producer.close();
  });
});
