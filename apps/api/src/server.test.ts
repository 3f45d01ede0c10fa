import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './__fixtures__/api-harness.js';

let redis: RedisServer;
let api: TestApi;

beforeAll(async () => {
  redis = await startRedisServer();
  api = await startApi({ redisUrl: redis.url, apps: ['api-test'] });
});
afterAll(async () => {
  await api.close();
  await redis.close();
});

const token = 'ef'.repeat(32);
const post = (body: unknown, type = 'application/json') =>
  api.call('/v1/notifications', {
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
    const status = await api.call(`/v1/notifications/${ids[0]}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      app: 'api-test',
      id: ids[0],
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
    const before = await api.producer.queue.count();
    const res = await post({
      notifications: [
        { token, topic: 'com.example.app', payload: { aps: {} } },
        { token: 'xyz', topic: 't', payload: { aps: {} } },
      ],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { field: 'notifications[1].token', problem: 'must be hexadecimal (0-9, a-f)' },
      errors: [{ index: 1, field: 'token', problem: 'must be hexadecimal (0-9, a-f)' }],
    });
    expect(await api.producer.queue.count()).toBe(before);
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
    const unknown = await api.call('/v1/notifications/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { field: string } }).error.field).toBe('id');
    const nope = await api.call('/nope');
    expect(nope.status).toBe(404);
    expect(((await nope.json()) as { error: { field: string } }).error.field).toBe('path');
  });
});
