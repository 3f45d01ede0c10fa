import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startFleetWorker } from './fleet-worker.js';

describe('startFleetWorker against a Redis that evicts', () => {
  it('refuses to start, naming maxmemory-policy, and starts once it is noeviction', async () => {
    await using server = await startRedisServer();
    const admin = new Redis(server.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const config = {
      redisUrl: server.url,
      apps: [],
      metricsHost: '127.0.0.1',
      metricsPort: 0,
      concurrency: 1,
      legacyConcurrency: 1,
    };
    await expect(startFleetWorker(config, { processMetrics: false })).rejects.toThrow(
      /^maxmemory-policy: Redis is set to "allkeys-lru"/,
    );
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const fleet = await startFleetWorker(config, { processMetrics: false });
    expect((await fetch(fleet.metricsUrl.replace('/metrics', '/healthz'))).status).toBe(200);
    await fleet.close();
    admin.disconnect();
  });
});
