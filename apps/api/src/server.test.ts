import type { AddressInfo } from 'node:net';
import { createProducer, type Producer } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from './server.js';

let redis: RedisServer;
let producer: Producer;
let base: string;
let server: ReturnType<typeof createApiServer>;

beforeAll(async () => {
  redis = await startRedisServer();
  producer = createProducer({ redis: redis.url, app: 'api-test' });
  server = createApiServer({ producer });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await producer.close();
  await redis.close();
});

const token = 'ef'.repeat(32);
const post = (body: unknown, type = 'application/json') =>
  fetch(`${base}/v1/notifications`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('API', () => {
  it('accepts one notification and reports it as pending in a waiting job', async () => {
    const res = await post({ token, topic: 'com.example.app', payload: { aps: { alert: 'hi' } } });
    expect(res.status).toBe(202);
    const { ids, jobIds } = (await res.json()) as { ids: string[]; jobIds: string[] };
    expect(ids).toHaveLength(1);
    expect(jobIds).toEqual(ids);
    const status = await fetch(`${base}/v1/notifications/${ids[0]}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      id: ids[0],
      app: 'api-test',
      state: 'pending',
      jobState: 'waiting',
      attempts: 0,
    });
  });

  it('accepts a batch', async () => {
    const notifications = [1, 2, 3].map(() => ({
      token,
      topic: 'com.example.app',
      payload: { aps: { badge: 1 } },
    }));
    const res = await post({ notifications });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { ids: string[] }).ids).toHaveLength(3);
  });

  it('refuses bad input with the field and the problem, enqueuing nothing', async () => {
    const before = await producer.queue.count();
    const res = await post({
      notifications: [
        { token, topic: 'com.example.app', payload: { aps: {} } },
        { token: 'xyz', topic: 't', payload: { aps: {} } },
      ],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { field: 'notifications[1].token', problem: 'must be hexadecimal (0-9, a-f)' },
    });
    expect(await producer.queue.count()).toBe(before);
  });

  it.each([
    ['{not json', 'application/json', 400, 'body'],
    ['{}', 'text/plain', 415, 'content-type'],
  ])('answers %s (%s) with %i naming %s', async (body, type, status, field) => {
    const res = await post(body, type);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
  });

  it('404s an unknown notification id and an unknown path', async () => {
    expect((await fetch(`${base}/v1/notifications/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
