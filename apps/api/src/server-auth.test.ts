/** API keys: 401 without a valid one, 403 for another app's data, a rate limit per key, never logged. */
import { Writable } from 'node:stream';
import { pauseApp, recordInvalidToken, routesFor } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notification, startApi, type TestApi, testKey } from './__fixtures__/api-harness.js';

const routes = routesFor([
  { name: 'shop', topics: ['com.example.shop'] },
  { name: 'news', topics: ['com.example.news'] },
]);
const shopKey = testKey('shop-backend', ['shop']);
const opsKey = testKey('ops', ['*']);
const slowKey = testKey('slow', ['shop'], { ratePerMinute: 3 });

let redis: RedisServer;
let api: TestApi;
let logged = '';

beforeAll(async () => {
  redis = await startRedisServer();
  const stream = new Writable({
    write(chunk, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  api = await startApi({
    redisUrl: redis.url,
    apps: ['shop', 'news'],
    routes,
    keys: [shopKey, opsKey, slowKey],
    logger: { level: 'info', stream, redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } },
  });
});
afterAll(async () => {
  await api.close();
  await redis.close();
});

interface Refusal {
  error: { field: string; problem: string };
  errors?: Array<{ index?: number; field: string; problem: string }>;
}

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined, /is required: send "Authorization: Bearer <API key>"/],
    ['a Basic header', 'Basic dXNlcjpwYXNz', /must be "Bearer <API key>"/],
    ['an unknown key', 'Bearer nope', /is not a valid API key/],
    [
      'a key with one character changed',
      `Bearer ${shopKey.key.slice(0, -1)}${shopKey.key.endsWith('A') ? 'B' : 'A'}`,
      /is not a valid API key/,
    ],
  ])('%s is 401 naming authorization, and nothing is enqueued', async (_what, header, problem) => {
    const res = await fetch(`${api.base}/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
      body: JSON.stringify(notification(1, 'com.example.shop')),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = (await res.json()) as Refusal;
    expect(body.error.field).toBe('authorization');
    expect(body.error.problem).toMatch(problem);
    expect(await api.producer.queueFor('shop').count()).toBe(0);
  });

  it('every /v1 route needs a key; /healthz, /readyz, /metrics and the document do not', async () => {
    for (const path of ['/v1/apps', '/v1/feedback?app=shop', '/v1/dlq?app=shop', '/v1/notifications/x'])
      expect((await api.call(path, { as: null })).status, path).toBe(401);
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
      expect((await api.call(path, { as: null })).status, path).toBe(200);
  });
});

describe('a key for app A on app B', () => {
  it('cannot enqueue to B (403 naming the topic or the app), even one item of a batch', async () => {
    const one = await api.call('/v1/notifications', {
      as: 'shop-backend',
      json: notification(1, 'com.example.news'),
    });
    expect(one.status).toBe(403);
    expect(((await one.json()) as Refusal).error).toEqual({
      field: 'topic',
      problem: 'belongs to app "news", which API key "shop-backend" may not use (its apps: shop)',
    });
    const explicit = await api.call('/v1/notifications', {
      as: 'shop-backend',
      json: { ...notification(1, 'com.example.news'), app: 'news' },
    });
    expect(explicit.status).toBe(403);
    expect(((await explicit.json()) as Refusal).error.field).toBe('app');
    const batch = await api.call('/v1/notifications', {
      as: 'shop-backend',
      json: { notifications: [notification(1, 'com.example.shop'), notification(2, 'com.example.news')] },
    });
    expect(batch.status).toBe(403);
    const body = (await batch.json()) as Refusal;
    expect(body.error.field).toBe('notifications[1].topic');
    expect(body.errors).toHaveLength(1);
    expect(await api.producer.queueFor('shop').count()).toBe(0);
    expect(await api.producer.queueFor('news').count()).toBe(0);
  });

  it("cannot read B's feedback, dead letters, tokens or notifications", async () => {
    await recordInvalidToken(api.redis, {
      app: 'news',
      token: 'aa'.repeat(32),
      reason: 'Unregistered',
      timestamp: 1,
      source: 'http2',
    });
    const { ids } = await api.producer.send(notification(5, 'com.example.news') as never);
    const as = 'shop-backend';
    for (const [path, init] of [
      ['/v1/feedback?app=news', {}],
      ['/v1/dlq?app=news', {}],
      ['/v1/dlq/news/retry', { json: { all: true } }],
      [`/v1/tokens/${'aa'.repeat(32)}/reactivate`, { json: { app: 'news' } }],
    ] as const) {
      const res = await api.call(path, { as, ...init });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as Refusal).error.problem, path).toMatch(
        /API key "shop-backend" may not use app "news"/,
      );
    }
    // An id in another app is not found among the key's apps (its existence is not B's to tell).
    expect((await api.call(`/v1/notifications/${ids[0]}`, { as })).status).toBe(404);
    expect((await api.call(`/v1/notifications/${ids[0]}`, { as: 'ops' })).status).toBe(200);
    const apps = (await (await api.call('/v1/apps', { as })).json()) as { apps: Array<{ name: string }> };
    expect(apps.apps.map((a) => a.name)).toEqual(['shop']);
  });

  it('a key for every app reads both, and /v1/apps shows pauses and depth', async () => {
    await pauseApp(api.redis, 'news', 'InvalidProviderToken', 'test:1');
    const res = await api.call('/v1/apps', { as: 'ops' });
    expect(res.status).toBe(200);
    const { apps } = (await res.json()) as {
      apps: Array<{
        name: string;
        paused: { reason: string } | null;
        depth: number;
        counts: Record<string, number>;
      }>;
    };
    expect(apps.map((a) => a.name)).toEqual(['shop', 'news']);
    expect(apps[0]!.paused).toBeNull();
    expect(apps[1]!.paused?.reason).toBe('InvalidProviderToken');
    expect(apps[1]!.depth).toBe(await api.producer.queueFor('news').count());
    expect(apps[1]!.depth).toBeGreaterThan(0);
  });
});

describe('rate limit per key', () => {
  it('answers 429 with Retry-After past the key limit, and other keys go on', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await api.call('/v1/apps', { as: 'slow' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await last!.json()) as Refusal).error).toEqual({
      field: 'rate',
      problem: expect.stringMatching(/^over 3 requests per minute for this API key; retry after \d+ s$/),
    });
    expect((await api.call('/v1/apps', { as: 'ops' })).status).toBe(200);
  });
});

describe('keys in logs', () => {
  it('no key ever reaches the log, while requests are logged', async () => {
    await api.call('/v1/apps', { as: 'ops' });
    expect(logged).toMatch(/"url":"\/v1\/apps"/);
    for (const k of [shopKey, opsKey, slowKey]) expect(logged).not.toContain(k.key);
  });
});
