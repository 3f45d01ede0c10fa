/** The API's answers to delivery trouble: 409 for a reused apnsId, 503 with Retry-After while Redis is away. */
import { getInvalidToken, recordInvalidToken } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { describe, expect, it } from 'vitest';
import { startApi } from './__fixtures__/api-harness.js';

const token = 'ab'.repeat(32);
const apnsId = '0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e';

const api = (redisUrl: string) => startApi({ redisUrl, apps: ['api-delivery'], redisTimeoutMs: 300 });

describe('API delivery errors', () => {
  it('the same apnsId for another notification answers 409 naming the field; the same one again is 202', async () => {
    await using redis = await startRedisServer();
    await using a = await api(redis.url);
    const post = (json: unknown) => a.call('/v1/notifications', { json });
    const n = { token, topic: 'com.example.app', payload: { aps: { alert: 'one' } }, apnsId };
    expect((await post(n)).status).toBe(202);
    const again = await post(n);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { ids: string[] }).ids).toEqual([apnsId]);
    const conflict = await post({ ...n, payload: { aps: { alert: 'two' } } });
    expect(conflict.status).toBe(409);
    const body = (await conflict.json()) as { error: { field: string; problem: string } };
    expect(body.error.field).toBe('apnsId');
    expect(body.error.problem).toMatch(/already enqueued for a different notification/);
  });

  it('POST /v1/tokens/:token/reactivate stops the suppression of a dead token', async () => {
    await using redis = await startRedisServer();
    await using a = await api(redis.url);
    await recordInvalidToken(a.redis, {
      app: 'api-delivery',
      token,
      reason: 'Unregistered',
      timestamp: 1,
      source: 'http2',
    });
    const res = await a.call(`/v1/tokens/${token.toUpperCase()}/reactivate`, {
      json: { app: 'api-delivery' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ token, app: 'api-delivery', reactivated: true });
    expect(await getInvalidToken(a.redis, 'api-delivery', token)).toBeUndefined();
  });

  it('while Redis is down: POST and reads answer 503 with Retry-After, /readyz is 503, /healthz 200; back up: 200', async () => {
    const redis = await startRedisServer();
    await using a = await api(redis.url);
    expect((await a.call('/readyz')).status).toBe(200);
    const port = redis.port;
    await redis.close();
    const res = await a.call('/v1/notifications', {
      json: { token, topic: 'com.example.app', payload: { aps: { alert: 'x' } } },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('redis');
    const read = await a.call('/v1/feedback?app=api-delivery');
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    const ready = await a.call('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect((await a.call('/healthz')).status).toBe(200); // alive: restarting it would not bring Redis back
    await using back = await startRedisServer({ port });
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await a.call('/readyz')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect(back.port).toBe(port);
  });
});
