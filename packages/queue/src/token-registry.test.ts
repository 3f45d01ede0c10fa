import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './redis-server.js';
import {
  findSuppressed,
  getInvalidToken,
  reactivateToken,
  readFeedback,
  recordInvalidToken,
} from './token-registry.js';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

const token = 'cd'.repeat(32);

describe('recordInvalidToken', () => {
  it('records a dead token once in the registry and once in the feedback stream', async () => {
    const report = {
      app: 'reg1',
      token,
      reason: 'Unregistered',
      timestamp: 1_700_000_000_000,
      topic: 'com.example.app',
      source: 'http2',
    } as const;
    expect(await recordInvalidToken(redis, report)).toBe(true);
    expect(await recordInvalidToken(redis, report)).toBe(false);
    expect(await recordInvalidToken(redis, { ...report, timestamp: report.timestamp - 1 })).toBe(false);
    expect(await getInvalidToken(redis, 'reg1', token.toUpperCase())).toMatchObject({
      reason: 'Unregistered',
      timestamp: report.timestamp,
      topic: 'com.example.app',
      source: 'http2',
    });
    const feed = await readFeedback(redis, 'reg1');
    expect(feed).toHaveLength(1);
    expect(feed[0]).toMatchObject({
      token,
      reason: 'Unregistered',
      timestamp: report.timestamp,
      source: 'http2',
    });
  });

  it('a newer verdict replaces the record and appends; reading on from an id returns only what follows', async () => {
    const base = { app: 'reg2', token, reason: 'BadDeviceToken', timestamp: 1000, source: 'http2' } as const;
    await recordInvalidToken(redis, base);
    const [first] = await readFeedback(redis, 'reg2');
    await recordInvalidToken(redis, { ...base, reason: 'Feedback', timestamp: 2000, source: 'feedback' });
    expect((await getInvalidToken(redis, 'reg2', token))?.reason).toBe('Feedback');
    const after = await readFeedback(redis, 'reg2', first!.id);
    expect(after.map((e) => e.reason)).toEqual(['Feedback']);
  });

  it('keeps apps apart', async () => {
    await recordInvalidToken(redis, {
      app: 'reg3',
      token,
      reason: 'Unregistered',
      timestamp: 5,
      source: 'http2',
    });
    expect(await getInvalidToken(redis, 'reg4', token)).toBeUndefined();
  });
});

describe('suppression and reactivation', () => {
  const topic = 'com.example.app';
  const dead = { app: 'sup1', reason: 'Unregistered', timestamp: 1_000_000, topic, source: 'http2' } as const;

  it('suppresses a token recorded dead at or before the notification was enqueued, in one HMGET', async () => {
    const a = 'a1'.repeat(32);
    const b = 'b1'.repeat(32);
    await recordInvalidToken(redis, { ...dead, token: a });
    const found = await findSuppressed(redis, 'sup1', [
      { token: a, topic, enqueuedAt: 1_000_001 }, // enqueued after Apple's timestamp: suppressed
      { token: a, topic, enqueuedAt: 999_999 }, // enqueued before it: sent (Apple answers for itself)
      { token: b, topic, enqueuedAt: 2_000_000 }, // never recorded
    ]);
    expect(found.map((r) => r?.reason)).toEqual(['Unregistered', undefined, undefined]);
  });

  it('DeviceTokenNotForTopic suppresses only on its topic', async () => {
    const c = 'c1'.repeat(32);
    await recordInvalidToken(redis, { ...dead, app: 'sup2', token: c, reason: 'DeviceTokenNotForTopic' });
    const found = await findSuppressed(redis, 'sup2', [
      { token: c, topic, enqueuedAt: 2_000_000 },
      { token: c, topic: 'com.example.other', enqueuedAt: 2_000_000 },
    ]);
    expect(found.map((r) => r?.reason)).toEqual(['DeviceTokenNotForTopic', undefined]);
  });

  it('a reactivated token is sent again; reactivating an unknown token changes nothing', async () => {
    const d = 'd1'.repeat(32);
    await recordInvalidToken(redis, { ...dead, app: 'sup3', token: d });
    expect(await reactivateToken(redis, 'sup3', d.toUpperCase())).toMatchObject({ reason: 'Unregistered' });
    expect(await findSuppressed(redis, 'sup3', [{ token: d, topic, enqueuedAt: 2_000_000 }])).toEqual([
      undefined,
    ]);
    expect(await reactivateToken(redis, 'sup3', d)).toBeUndefined();
  });
});
