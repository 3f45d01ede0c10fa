/** Bad input at the door: each answers its status and names the field; nothing is enqueued. */
import { request as httpRequest } from 'node:http';
import { jobNotifications } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notification, startApi, type TestApi } from './__fixtures__/api-harness.js';

let redis: RedisServer;
let api: TestApi;
let small: TestApi;

beforeAll(async () => {
  redis = await startRedisServer();
  api = await startApi({ redisUrl: redis.url, apps: ['input'] });
  small = await startApi({
    redisUrl: redis.url,
    apps: ['input-small'],
    maxBatch: 5,
    maxBodyBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await Promise.all([api.close(), small.close()]);
  await redis.close();
});

interface Refusal {
  error: { field: string; problem: string };
  errors?: Array<{ index?: number; field: string; problem: string }>;
}
const send = (a: TestApi, json: unknown, headers: Record<string, string> = {}) =>
  a.call('/v1/notifications', { json, headers });

describe('POST /v1/notifications refuses', () => {
  it('a misspelled field, naming it (and every other one of the same notification)', async () => {
    const before = await api.producer.queue.count();
    const res = await send(api, { ...notification(1), prioritty: 10, colapseId: 'x' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.error.field).toBe('prioritty');
    expect(body.error.problem).toMatch(/^is not a known field \(expected token, topic, payload/);
    expect(body.errors?.map((e) => e.field)).toEqual(['prioritty', 'colapseId']);
    expect(await api.producer.queue.count()).toBe(before);
  });

  it('a wrong type, naming the field in the schema words', async () => {
    const res = await send(api, { ...notification(1), priority: 'high' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Refusal).error).toEqual({
      field: 'priority',
      problem: 'must be an integer',
    });
  });

  it('1,000 notifications with 3 bad: exactly those 3, in order, and nothing enqueued', async () => {
    const before = await api.producer.queue.count();
    const notifications = Array.from({ length: 1000 }, (_, i) => notification(i));
    notifications[3] = { ...notifications[3], token: 'zz' };
    notifications[420] = { ...notifications[420], prioritty: 5 };
    notifications[998] = { ...notifications[998], payload: { aps: { alert: 'x'.repeat(5000) } } };
    const res = await send(api, { notifications });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.errors).toEqual([
      { index: 3, field: 'token', problem: 'must be hexadecimal (0-9, a-f)' },
      { index: 420, field: 'prioritty', problem: expect.stringMatching(/^is not a known field/) },
      { index: 998, field: 'payload', problem: '5,020 bytes > 4,096 byte limit for alert pushes' },
    ]);
    expect(body.error).toEqual({
      field: 'notifications[3].token',
      problem: 'must be hexadecimal (0-9, a-f)',
    });
    expect(await api.producer.queue.count()).toBe(before);
  });

  it('a batch over the cap, naming notifications', async () => {
    const res = await send(small, { notifications: Array.from({ length: 6 }, (_, i) => notification(i)) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Refusal).error).toEqual({
      field: 'notifications',
      problem: 'has more than 5 items (the cap)',
    });
    const fan = await send(small, {
      tokens: Array.from({ length: 6 }, () => 'ab'.repeat(32)),
      topic: 'com.x',
      payload: { aps: {} },
    });
    expect(fan.status).toBe(400);
    expect(((await fan.json()) as Refusal).error.field).toBe('tokens');
  });

  it('a body over the limit with 413 from its Content-Length, before the body is sent', async () => {
    const url = new URL(`${small.base}/v1/notifications`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(10 * 1024 * 1024),
          authorization: `Bearer ${small.keys.all!.key}`,
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"notifications":['); // 19 bytes of a promised 10 MiB: never more
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.field).toBe('body');
  });

  it('a body over the limit without Content-Length, once too much has arrived', async () => {
    const huge = JSON.stringify({ ...notification(1), payload: { aps: { alert: 'x'.repeat(100 * 1024) } } });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(huge));
        c.close();
      },
    });
    const res = await small.call('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('matches the content type case-insensitively: Application/JSON is JSON', async () => {
    const res = await send(api, notification(7), { 'content-type': 'Application/JSON; charset=UTF-8' });
    expect(res.status).toBe(202);
  });

  it('a body that is not an object, and an empty one', async () => {
    const list = await send(api, [notification(1)]);
    expect(list.status).toBe(400);
    expect(((await list.json()) as Refusal).error.field).toBe('body');
    const empty = await api.call('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as Refusal).error.field).toBe('body');
  });
});

describe('fan-out: one payload, many tokens', () => {
  it('expands to one notification per token, each its own id, status and notification record', async () => {
    const tokens = [1, 2, 3].map((i) => i.toString(16).padStart(64, 'a'));
    const res = await send(api, { tokens, topic: 'com.example.app', payload: { aps: { alert: 'all' } } });
    expect(res.status).toBe(202);
    const { ids } = (await res.json()) as { ids: string[] };
    expect(new Set(ids).size).toBe(3);
    for (const [i, id] of ids.entries()) {
      const status = await api.producer.status(id);
      expect(status).toMatchObject({ id, state: 'pending' });
      const job = await api.producer.queue.getJob(status!.jobId);
      expect(jobNotifications(job!.data, status!.jobId).find((n) => n.id === id)?.token).toBe(tokens[i]);
    }
  });

  it('names each bad token by its index, and a bad shared field once', async () => {
    const before = await api.producer.queue.count();
    const tokens = ['ab'.repeat(32), 'nothex', 'cd'.repeat(32), 'abc'];
    const res = await send(api, { tokens, topic: 'com.example.app', payload: { aps: {} } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.error.field).toBe('tokens[1]');
    expect(body.errors).toEqual([
      { index: 1, field: 'token', problem: 'must be hexadecimal (0-9, a-f)' },
      { index: 3, field: 'token', problem: 'has an odd number of hex digits (3)' },
    ]);
    const shared = await send(api, { tokens, topic: 'com.example.app', payload: { noAps: 1 } });
    expect(((await shared.json()) as Refusal).errors).toEqual([
      { field: 'payload.aps', problem: 'is required and must be an object' },
    ]);
    const withId = await send(api, { tokens, topic: 'com.example.app', payload: { aps: {} }, apnsId: 'x' });
    expect(((await withId.json()) as Refusal).error.field).toBe('apnsId'); // one id cannot serve many tokens
    expect(await api.producer.queue.count()).toBe(before);
  });
});
