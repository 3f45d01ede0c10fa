import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { getInvalidToken, readFeedback, recordInvalidToken } from './token-registry.js';

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
