/** POST /v1/broadcasts, /v1/channels: the queue's validation in the SDK's words, per-app keys, the registry read. */
import { recordChannel, routesFor } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi, testKey } from './__fixtures__/api-harness.js';

const LIVE = 'com.example.live';
const CHANNEL = 'dHN0LXNyY2gtY2hubA==';
let redis: RedisServer;
let api: TestApi;
beforeAll(async () => {
  redis = await startRedisServer();
  api = await startApi({
    redisUrl: redis.url,
    apps: ['live', 'other'],
    routes: routesFor([
      { name: 'live', topics: [LIVE] },
      { name: 'other', topics: ['com.example.other'] },
    ]),
    keys: [testKey('all', ['*']), testKey('others', ['other'])],
  });
});
afterAll(async () => {
  await api.close();
  await redis.close();
});

const update = { event: 'update', contentState: { score: '1-0' } };
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { field: string; problem: string } }).error;

describe('POST /v1/broadcasts', () => {
  it('enqueues a broadcast for the app owning the bundle id and reports where it stands', async () => {
    const res = await api.call('/v1/broadcasts', {
      json: { bundleId: LIVE, channelId: CHANNEL, priority: 5, liveActivity: update },
    });
    expect(res.status).toBe(202);
    const { id, app } = (await res.json()) as { id: string; app: string };
    expect(app).toBe('live');
    const status = await api.call(`/v1/broadcasts/live/${id}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ app: 'live', id, state: 'waiting', attempts: 0 });
  });

  it('refuses 5,121 bytes, a start, an unknown field and another app’s key, naming the field', async () => {
    const payload = `{"aps":{"event":"update","timestamp":1,"content-state":{},"x":"${'a'.repeat(5121 - 66)}"}}`;
    const big = await api.call('/v1/broadcasts', { json: { bundleId: LIVE, channelId: CHANNEL, payload } });
    expect(big.status).toBe(400);
    expect(await errorOf(big)).toEqual({
      field: 'payload',
      problem: '5,121 bytes > 5,120 byte limit for broadcasts',
    });
    const start = await api.call('/v1/broadcasts', {
      json: { bundleId: LIVE, channelId: CHANNEL, liveActivity: { ...update, event: 'start' } },
    });
    expect((await errorOf(start)).field).toBe('aps.event');
    const unknown = await api.call('/v1/broadcasts', {
      json: { bundleId: LIVE, channelId: CHANNEL, liveActivity: update, colour: 1 },
    });
    expect(await errorOf(unknown)).toEqual({ field: 'colour', problem: 'is not a known field' });
    const foreign = await api.call('/v1/broadcasts', {
      as: 'others',
      json: { bundleId: LIVE, channelId: CHANNEL, liveActivity: update },
    });
    expect(foreign.status).toBe(403);
    expect((await errorOf(foreign)).field).toBe('bundleId');
  });

  it('a Live Activity start without an alert on /v1/notifications is refused naming aps.alert', async () => {
    const res = await api.call('/v1/notifications', {
      json: {
        token: 'ab'.repeat(32),
        topic: `${LIVE}.push-type.liveactivity`,
        pushType: 'liveactivity',
        payload: {
          aps: { event: 'start', timestamp: 1, 'content-state': {}, 'attributes-type': 'A', attributes: {} },
        },
      },
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      field: 'aps.alert',
      problem: 'is required on start (title and body)',
    });
  });
});

describe('/v1/channels', () => {
  it('enqueues create, delete and sync; lists the registry against the 10,000 limit', async () => {
    const created = await api.call('/v1/channels', { json: { bundleId: LIVE, storagePolicy: 0 } });
    expect(created.status).toBe(202);
    expect(((await created.json()) as { app: string }).app).toBe('live');
    const bad = await api.call('/v1/channels', { json: { bundleId: LIVE, storagePolicy: 2 } });
    expect((await errorOf(bad)).field).toBe('storagePolicy');
    expect(
      (await api.call(`/v1/channels/${encodeURIComponent(CHANNEL)}?bundleId=${LIVE}`, { method: 'DELETE' }))
        .status,
    ).toBe(202);
    expect((await api.call('/v1/channels/sync', { json: { bundleId: LIVE } })).status).toBe(202);
    await recordChannel(api.redis, 'live', {
      id: CHANNEL,
      bundleId: LIVE,
      storagePolicy: 0,
      createdAt: 1,
      source: 'created',
    });
    await recordChannel(api.redis, 'live', {
      id: 'AAAA',
      bundleId: LIVE,
      storagePolicy: 1,
      createdAt: 2,
      deletedAt: 3,
      source: 'created',
    });
    const list = await api.call('/v1/channels?app=live');
    expect(await list.json()).toMatchObject({
      app: 'live',
      live: 1,
      limit: 10_000,
      channels: [{ id: CHANNEL }, { id: 'AAAA', deletedAt: 3 }],
    });
    const live = await api.call('/v1/channels?app=live&live=true');
    expect(((await live.json()) as { channels: unknown[] }).channels).toHaveLength(1);
    expect((await api.call('/v1/channels?app=live', { as: 'others' })).status).toBe(403);
  });
});
