/** Broadcasts and channel operations at the door and in Redis: a real redis-server, real BullMQ. */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROADCAST_JOB_NAME, type BroadcastJobData, CHANNEL_JOB_NAME } from './broadcast-job.js';
import { recordChannel } from './channel-registry.js';
import { ValidationError } from './errors.js';
import { createProducer, type Producer } from './producer.js';
import { appBroadcastQueue, queueKeys } from './queue-keys.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

const CHANNEL = 'dHN0LXNyY2gtY2hubA==';
let server: RedisServer;
let redis: Redis;
let producer: Producer;
const update = { event: 'update', timestamp: 1, contentState: { score: '1-0' } } as const;
/** A payload of exactly `n` bytes. */
const sized = (n: number) =>
  `{"aps":{"event":"update","timestamp":1,"content-state":{},"x":"${'a'.repeat(n - 66)}"}}`;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
  producer = createProducer({
    redis: server.url,
    routes: { apps: ['live'], appFor: (t) => (t.startsWith('com.example.live') ? 'live' : undefined) },
  });
});
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await server.close();
});

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).message;
};

describe('producer.broadcast', () => {
  it('enqueues a job in the app’s broadcasts queue, keyed by the broadcast id', async () => {
    const { app, id } = await producer.broadcast({
      bundleId: 'com.example.live',
      channelId: CHANNEL,
      liveActivity: update,
    });
    expect(app).toBe('live');
    const { name, prefix } = appBroadcastQueue('live');
    expect(prefix).toBe(queueKeys.bullPrefix('live'));
    const queue = new Queue<BroadcastJobData>(name, { connection: redis, prefix });
    const job = await queue.getJob(id);
    expect(job?.name).toBe(BROADCAST_JOB_NAME);
    expect(job?.data.broadcast).toMatchObject({ id, channelId: CHANNEL, priority: 10, expiration: 0 });
    expect(JSON.parse(job!.data.broadcast.payload)).toMatchObject({
      aps: { event: 'update', 'content-state': { score: '1-0' } },
    });
    await queue.close();
    expect((await producer.broadcastStatus('live', id)).state).toBe('waiting');
  });

  it('takes 5,120 bytes and refuses 5,121 at enqueue, naming the payload', async () => {
    expect(Buffer.byteLength(sized(5120))).toBe(5120);
    await producer.broadcast({ bundleId: 'com.example.live', channelId: CHANNEL, payload: sized(5120) });
    expect(
      await refusal(
        producer.broadcast({ bundleId: 'com.example.live', channelId: CHANNEL, payload: sized(5121) }),
      ),
    ).toBe('payload: 5,121 bytes > 5,120 byte limit for broadcasts');
  });

  it('refuses what APNs would: a start, a suffixed bundle id, an unknown app, a nonzero expiration on a policy-0 channel, a deleted channel', async () => {
    const start = {
      ...update,
      event: 'start',
      alert: { title: 't' },
      attributesType: 'A',
      attributes: {},
    } as const;
    expect(
      await refusal(
        producer.broadcast({ bundleId: 'com.example.live', channelId: CHANNEL, liveActivity: start }),
      ),
    ).toMatch(/^aps\.event: a broadcast cannot start/);
    expect(
      await refusal(
        producer.broadcast({
          bundleId: 'com.example.live.push-type.liveactivity',
          channelId: CHANNEL,
          liveActivity: update,
        }),
      ),
    ).toMatch(/^bundleId: must be the bare bundle id/);
    expect(
      await refusal(producer.broadcast({ bundleId: 'com.other', channelId: CHANNEL, liveActivity: update })),
    ).toMatch(/^bundleId: "com.other" belongs to no configured app/);
    await recordChannel(redis, 'live', {
      id: 'AAAA',
      bundleId: 'com.example.live',
      storagePolicy: 0,
      createdAt: 1,
      source: 'created',
    });
    expect(
      await refusal(
        producer.broadcast({
          bundleId: 'com.example.live',
          channelId: 'AAAA',
          expiration: 1_900_000_000,
          liveActivity: update,
        }),
      ),
    ).toMatch(/^expiration: must be 0/);
    await recordChannel(redis, 'live', {
      id: 'BBBB',
      bundleId: 'com.example.live',
      storagePolicy: 1,
      createdAt: 1,
      deletedAt: 2,
      source: 'created',
    });
    expect(
      await refusal(
        producer.broadcast({ bundleId: 'com.example.live', channelId: 'BBBB', liveActivity: update }),
      ),
    ).toMatch(/^channelId: channel BBBB was deleted/);
  });
});

describe('producer.channel', () => {
  it('enqueues create, delete and sync operations; refuses a bad storage policy naming it', async () => {
    const created = await producer.channel({ op: 'create', bundleId: 'com.example.live', storagePolicy: 1 });
    const { name, prefix } = appBroadcastQueue('live');
    const queue = new Queue(name, { connection: redis, prefix });
    expect((await queue.getJob(created.id))?.name).toBe(CHANNEL_JOB_NAME);
    await queue.close();
    expect(
      await refusal(producer.channel({ op: 'create', bundleId: 'com.example.live', storagePolicy: 3 as 1 })),
    ).toMatch(/^storagePolicy: must be 0/);
    expect(
      await refusal(
        producer.channel({ op: 'delete', bundleId: 'com.example.live', channelId: 'not base64!' }),
      ),
    ).toMatch(/^channelId:/);
  });
});
