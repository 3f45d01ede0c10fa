/** The API's answers to delivery trouble: 409 for a reused apnsId, 503 with Retry-After while Redis is away. */
import type { AddressInfo } from 'node:net';
import { createProducer, getInvalidToken, recordInvalidToken } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { describe, expect, it } from 'vitest';
import { createApiServer } from './server.js';

const token = 'ab'.repeat(32);
const apnsId = '0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e';

async function api(redisUrl: string) {
  const producer = createProducer({ redis: redisUrl, app: 'api-delivery', redisTimeoutMs: 300 });
  const server = createApiServer({ producer });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (body: unknown) =>
    fetch(`${base}/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return {
    base,
    post,
    close: async () => {
      server.close();
      server.closeAllConnections();
      await producer.close();
    },
  };
}

describe('API delivery errors', () => {
  it('the same apnsId for another notification answers 409 naming the field; the same one again is 202', async () => {
    await using redis = await startRedisServer();
    const a = await api(redis.url);
    try {
      const n = { token, topic: 'com.example.app', payload: { aps: { alert: 'one' } }, apnsId };
      expect((await a.post(n)).status).toBe(202);
      const again = await a.post(n);
      expect(again.status).toBe(202);
      expect(((await again.json()) as { ids: string[] }).ids).toEqual([apnsId]);
      const conflict = await a.post({ ...n, payload: { aps: { alert: 'two' } } });
      expect(conflict.status).toBe(409);
      const body = (await conflict.json()) as { error: { field: string; problem: string } };
      expect(body.error.field).toBe('apnsId');
      expect(body.error.problem).toMatch(/already enqueued for a different notification/);
    } finally {
      await a.close();
    }
  });

  it('POST /v1/tokens/:token/reactivate stops the suppression of a dead token', async () => {
    await using redis = await startRedisServer();
    const a = await api(redis.url);
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      await recordInvalidToken(client, {
        app: 'api-delivery',
        token,
        reason: 'Unregistered',
        timestamp: 1,
        source: 'http2',
      });
      const res = await fetch(`${a.base}/v1/tokens/${token.toUpperCase()}/reactivate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app: 'api-delivery' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ token, app: 'api-delivery', reactivated: true });
      expect(await getInvalidToken(client, 'api-delivery', token)).toBeUndefined();
    } finally {
      client.disconnect();
      await a.close();
    }
  });

  it('while Redis is down: POST answers 503 with Retry-After and /healthz is 503; back up: 200', async () => {
    const redis = await startRedisServer();
    const a = await api(redis.url);
    try {
      expect((await fetch(`${a.base}/healthz`)).status).toBe(200);
      const port = redis.port;
      await redis.close();
      const res = await a.post({ token, topic: 'com.example.app', payload: { aps: { alert: 'x' } } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('redis');
      expect((await fetch(`${a.base}/healthz`)).status).toBe(503);
      await using back = await startRedisServer({ port });
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${a.base}/healthz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
      expect(back.port).toBe(port);
    } finally {
      await a.close();
    }
  });
});
