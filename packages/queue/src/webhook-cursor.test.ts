import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from './redis-server.js';
import {
  advanceWebhookPosition,
  getWebhookPosition,
  holdWebhookLease,
  releaseWebhookLease,
} from './webhook-cursor.js';

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

describe('webhook cursor', () => {
  it('starts at the stream start and only moves forward', async () => {
    expect(await getWebhookPosition(redis, 'cursor1')).toBe('0');
    expect(await advanceWebhookPosition(redis, 'cursor1', '1700000000000-1')).toBe(true);
    expect(await advanceWebhookPosition(redis, 'cursor1', '1700000000000-0')).toBe(false);
    expect(await advanceWebhookPosition(redis, 'cursor1', '1699999999999-9')).toBe(false);
    expect(await getWebhookPosition(redis, 'cursor1')).toBe('1700000000000-1');
    expect(await advanceWebhookPosition(redis, 'cursor1', '1700000000000-10')).toBe(true);
    expect(await getWebhookPosition(redis, 'cursor1')).toBe('1700000000000-10');
  });

  it('a lease is held by one owner until it expires or is released', async () => {
    expect(await holdWebhookLease(redis, 'cursor2', 'a', 300)).toBe(true);
    expect(await holdWebhookLease(redis, 'cursor2', 'b', 300)).toBe(false);
    expect(await holdWebhookLease(redis, 'cursor2', 'a', 300)).toBe(true); // renewed
    await releaseWebhookLease(redis, 'cursor2', 'b'); // not b's: stays
    expect(await holdWebhookLease(redis, 'cursor2', 'b', 300)).toBe(false);
    await releaseWebhookLease(redis, 'cursor2', 'a');
    expect(await holdWebhookLease(redis, 'cursor2', 'b', 100)).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    expect(await holdWebhookLease(redis, 'cursor2', 'a', 300)).toBe(true); // b's expired
  });
});
