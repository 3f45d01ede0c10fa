import { createFleetMetrics, Registry } from '@pushfleet/metrics';
import { addBroadcastDeadLetter, appBroadcastQueue, createProducer } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createScrapeGauges } from './scrape-gauges.js';

const send = (producer: ReturnType<typeof createProducer>, i: number, delay?: number) =>
  producer.send({
    token: i.toString(16).padStart(64, '0'),
    topic: 'com.example.app',
    payload: { aps: { alert: `n${i}` } },
    ...(delay ? { delay } : {}),
  });

async function sample(registry: Registry, name: string, labels: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('createScrapeGauges', () => {
  it('exports queue depth by state, the oldest waiting age and in-flight, reading Redis once per cache period', async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    const producer = createProducer({ redis: server.url, app: 'gauges' });
    const registry = new Registry();
    const metrics = createFleetMetrics(registry);
    const limiter = { inFlight: 3, limit: 250 };
    const scrape = createScrapeGauges(redis, [{ name: 'gauges', limiter }], metrics, { cacheMs: 60_000 });

    await send(producer, 1);
    await send(producer, 2);
    await send(producer, 3, 60_000);
    await new Promise((r) => setTimeout(r, 30));
    await scrape();
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="gauges",state="waiting"')).toBe(2);
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="gauges",state="delayed"')).toBe(1);
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="gauges",state="dead-lettered"')).toBe(0);
    expect(await sample(registry, 'pushfleet_notifications_in_flight', 'app="gauges"')).toBe(3);
    expect(await sample(registry, 'pushfleet_app_paused', 'app="gauges"')).toBe(0);
    expect(await sample(registry, 'pushfleet_send_concurrency_limit', 'app="gauges"')).toBe(250);
    const age = await sample(registry, 'pushfleet_queue_oldest_waiting_age_seconds', 'app="gauges"');
    expect(age).toBeGreaterThanOrEqual(0.02);
    expect(age).toBeLessThan(5);

    // Within the cache period the queue is not read again; the limiter's numbers are always fresh.
    await send(producer, 4);
    limiter.inFlight = 7;
    await scrape();
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="gauges",state="waiting"')).toBe(2);
    expect(await sample(registry, 'pushfleet_notifications_in_flight', 'app="gauges"')).toBe(7);

    const uncached = createScrapeGauges(redis, [{ name: 'gauges', limiter }], metrics, {
      cacheMs: 0,
      timeoutMs: 300,
    });
    await uncached();
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="gauges",state="waiting"')).toBe(3);

    // Redis gone: the queue series are dropped (unknown), not left stale.
    await producer.close();
    await server.close();
    const started = Date.now();
    await uncached();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="gauges",state="waiting"')).toBeUndefined();
    expect(
      await sample(registry, 'pushfleet_queue_oldest_waiting_age_seconds', 'app="gauges"'),
    ).toBeUndefined();
    redis.disconnect();
  });

  it("exports the broadcasts queue's depth for the apps that have one, and only for those", async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const { name, prefix } = appBroadcastQueue('live');
    const queue = new Queue(name, { connection: redis, prefix });
    const create = (id: string) => ({
      v: 1 as const,
      app: 'live',
      enqueuedAt: Date.now(),
      id,
      operation: { op: 'sync' as const, bundleId: 'com.example.live' },
    });
    await queue.add('channel', create('a'));
    await queue.add('channel', create('b'));
    await queue.add('channel', create('c'), { delay: 60_000 });
    await addBroadcastDeadLetter(redis, {
      app: 'live',
      job: create('d'),
      outcome: 'dead-lettered',
      reason: 'retry horizon passed',
      attempts: 3,
      deadAt: Date.now(),
    });
    const registry = new Registry();
    const metrics = createFleetMetrics(registry);
    const limiter = { inFlight: 0, limit: 100 };
    const scrape = createScrapeGauges(
      redis,
      [
        { name: 'live', limiter, broadcasts: true },
        { name: 'legacy', limiter },
      ],
      metrics,
    );
    await scrape();
    const jobs = (app: string, state: string) =>
      sample(registry, 'pushfleet_broadcast_queue_jobs', `app="${app}",state="${state}"`);
    expect(await jobs('live', 'waiting')).toBe(2);
    expect(await jobs('live', 'delayed')).toBe(1);
    expect(await jobs('live', 'dead-lettered')).toBe(1);
    expect(await jobs('live', 'active')).toBe(0);
    // The push queue is another: its broadcasts do not count there.
    expect(await sample(registry, 'pushfleet_queue_jobs', 'app="live",state="waiting"')).toBe(0);
    // An app with no broadcasts queue (legacy) has no broadcast series at all, not zeros.
    expect(await jobs('legacy', 'waiting')).toBeUndefined();
    await queue.close();
    redis.disconnect();
  });
});
