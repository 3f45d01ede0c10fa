/** What operators and backends read back: dead tokens (paged), dead letters (and re-driving them), metrics. */
import {
  addDeadLetters,
  type DeadLetter,
  type NotificationRecord,
  recordInvalidToken,
  validateNotification,
} from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notification, startApi, type TestApi } from './__fixtures__/api-harness.js';

let redis: RedisServer;
let api: TestApi;
beforeAll(async () => {
  redis = await startRedisServer();
  api = await startApi({ redisUrl: redis.url, apps: ['reads'] });
});
afterAll(async () => {
  await api.close();
  await redis.close();
});

const hex = (i: number) => i.toString(16).padStart(64, 'd');

describe('GET /v1/feedback', () => {
  it('pages through the dead tokens, oldest first, and reads on from a time', async () => {
    for (let i = 0; i < 5; i++)
      await recordInvalidToken(api.redis, {
        app: 'reads',
        token: hex(i),
        reason: 'Unregistered',
        timestamp: 1000 + i,
        source: 'http2',
      });
    const tokens: string[] = [];
    let since = '';
    let pages = 0;
    for (;;) {
      const res = await api.call(`/v1/feedback?app=reads&limit=2${since ? `&since=${since}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        entries: Array<{ token: string; reason: string; id: string }>;
        next: string | null;
      };
      pages++;
      tokens.push(...page.entries.map((e) => e.token));
      expect(page.entries.every((e) => e.reason === 'Unregistered')).toBe(true);
      if (!page.next) break;
      since = page.next;
    }
    expect(tokens).toEqual([0, 1, 2, 3, 4].map(hex));
    expect(pages).toBe(3);
    const later = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 5));
    await recordInvalidToken(api.redis, {
      app: 'reads',
      token: hex(9),
      reason: 'BadDeviceToken',
      timestamp: 2000,
      source: 'http2',
    });
    const recent = (await (await api.call(`/v1/feedback?app=reads&since=${later}`)).json()) as {
      entries: Array<{ token: string }>;
    };
    expect(recent.entries.map((e) => e.token)).toEqual([hex(9)]);
  });

  it('names a bad since, a missing app and an unknown one', async () => {
    const bad = await api.call('/v1/feedback?app=reads&since=yesterday');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('since');
    const missing = await api.call('/v1/feedback');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { field: string } }).error.field).toBe('app');
    const unknown = await api.call('/v1/feedback?app=other');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { problem: string } }).error.problem).toMatch(
      /not an app of this fleet/,
    );
    const extra = await api.call('/v1/feedback?app=reads&sinc=1');
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { error: { field: string } }).error.field).toBe('sinc');
  });
});

describe('dead letters', () => {
  it('GET /v1/dlq lists them; POST /v1/dlq/:app/retry re-drives them into the queue', async () => {
    const records: NotificationRecord[] = [1, 2].map((i) => validateNotification(notification(i)));
    const entries: DeadLetter[] = records.map((n) => ({
      app: 'reads',
      notification: n,
      outcome: 'dead-lettered',
      reason: 'retry horizon passed after 3 tries: ServiceUnavailable',
      attempts: [],
      enqueuedAt: Date.now() - 1000,
      deadAt: Date.now(),
      jobId: n.id,
    }));
    await addDeadLetters(api.redis, 'reads', entries);
    const list = (await (await api.call('/v1/dlq?app=reads')).json()) as {
      total: number;
      entries: DeadLetter[];
    };
    expect(list.total).toBe(2);
    expect(list.entries.map((e) => e.notification.id).sort()).toEqual(records.map((r) => r.id).sort());
    const none = await api.call('/v1/dlq/reads/retry', { json: {} });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { field: string } }).error.field).toBe('ids');
    const retry = await api.call('/v1/dlq/reads/retry', { json: { ids: [records[0]!.id] } });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ app: 'reads', redriven: [records[0]!.id], missing: [] });
    expect(await api.producer.status(records[0]!.id)).toMatchObject({
      state: 'pending',
      jobState: 'waiting',
    });
    const rest = (await (await api.call('/v1/dlq?app=reads')).json()) as { total: number };
    expect(rest.total).toBe(1);
  });
});

describe('GET /metrics', () => {
  it("counts the API's own requests by route pattern and status, and what it enqueued", async () => {
    await api.call('/v1/notifications', { json: notification(3) });
    await api.call('/v1/notifications/00000000-0000-4000-8000-000000000000');
    const text = await (await api.call('/metrics')).text();
    expect(text).toMatch(
      /pushfleet_api_requests_total\{route="\/v1\/notifications",method="POST",status="202"\} \d+/,
    );
    expect(text).toMatch(
      /pushfleet_api_requests_total\{route="\/v1\/notifications\/:id",method="GET",status="404"\} 1/,
    );
    expect(text).toMatch(
      /pushfleet_api_request_duration_seconds_bucket\{le="\+Inf",route="\/v1\/notifications",method="POST"\} \d+/,
    );
    expect(text).toMatch(/pushfleet_api_notifications_enqueued_total\{app="reads"\} \d+/);
  });
});
