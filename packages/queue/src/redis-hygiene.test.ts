/**
 * Redis as the fleet needs it: a policy that evicts keys is refused by name, and the data files a private
 * redis-server writes (`npm start`'s .data/redis) are readable by their owner only.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoEviction, readEvictionPolicy } from './eviction-policy.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer({ persist: true });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    yield p;
    if (statSync(p).isDirectory()) yield* walk(p);
  }
}

describe('eviction policy', () => {
  it('accepts noeviction and refuses every policy that evicts, naming the setting and the fix', async () => {
    expect(await readEvictionPolicy(redis)).toBe('noeviction');
    await expect(assertNoEviction(redis)).resolves.toBeUndefined();
    for (const policy of ['allkeys-lru', 'volatile-ttl', 'allkeys-random']) {
      await redis.config('SET', 'maxmemory-policy', policy);
      await expect(assertNoEviction(redis)).rejects.toThrow(
        new RegExp(`^maxmemory-policy: Redis is set to "${policy}".*set it to "noeviction"`),
      );
    }
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
  });
});

describe('startRedisServer data files', () => {
  it('keeps the data directory and every file Redis writes private to its owner', async () => {
    await redis.set('{pushfleet:demo}:secret', 'device token and payload');
    await redis.save();
    await redis.bgrewriteaof();
    await new Promise((r) => setTimeout(r, 300));
    const paths = [server.dir, ...walk(server.dir)];
    expect(paths.some((p) => p.endsWith('.rdb'))).toBe(true);
    expect(paths.some((p) => /\.aof/.test(p))).toBe(true);
    for (const p of paths)
      expect({ p, mode: (statSync(p).mode & 0o077).toString(8) }).toEqual({ p, mode: '0' });
  });
});
