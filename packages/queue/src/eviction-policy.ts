/**
 * A queue must not lose keys to eviction: a Redis whose `maxmemory-policy` may evict (allkeys-lru,
 * volatile-ttl, ...) drops waiting jobs, job records and the dead-token registry silently when memory fills.
 * Only `noeviction` is safe: Redis then refuses writes instead, and producers see the error.
 *
 * Read from `INFO memory` (allowed where managed Redis services disable CONFIG).
 */
import type { Redis } from 'ioredis';
import { ValidationError } from './errors.js';

export const SAFE_EVICTION_POLICY = 'noeviction';

/** The server's `maxmemory-policy`, or undefined when INFO does not report it. */
export async function readEvictionPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** @throws ValidationError naming `maxmemory-policy` unless it is `noeviction`. */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const policy = await readEvictionPolicy(redis);
  if (policy === undefined || policy === SAFE_EVICTION_POLICY) return;
  throw new ValidationError(
    'maxmemory-policy',
    `Redis is set to "${policy}", which evicts keys (queued jobs, the dead-token registry) when memory is full; ` +
      `set it to "${SAFE_EVICTION_POLICY}" (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)`,
  );
}
