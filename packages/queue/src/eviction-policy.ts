/**
 * A queue must not lose keys to eviction: a Redis whose `maxmemory-policy` may evict (allkeys-lru,
 * volatile-ttl, ...) drops waiting jobs, job records and the dead-token registry silently when memory fills.
 * Only `noeviction` is safe: Redis then refuses writes instead, and producers see the error.
 *
 * Read from `INFO memory` (allowed where managed Redis services disable CONFIG); on a Redis Cluster from every
 * master, since each holds its own apps' queues and each has its own setting.
 */
import { Cluster } from 'ioredis';
import { ValidationError } from './errors.js';
import type { RedisClient } from './redis-connection.js';

export const SAFE_EVICTION_POLICY = 'noeviction';

/**
 * The server's `maxmemory-policy`, or undefined when INFO does not report it. On a cluster: the first master's
 * that is not `noeviction`, else `noeviction`.
 */
export async function readEvictionPolicy(redis: RedisClient): Promise<string | undefined> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const policies = await Promise.all(
    servers.map(async (server) => /^maxmemory_policy:(\S+)/m.exec(await server.info('memory'))?.[1]),
  );
  return policies.find((p) => p !== undefined && p !== SAFE_EVICTION_POLICY) ?? policies.find((p) => p);
}

/** @throws ValidationError naming `maxmemory-policy` unless it is `noeviction` (on every master of a cluster). */
export async function assertNoEviction(redis: RedisClient): Promise<void> {
  const policy = await readEvictionPolicy(redis);
  if (policy === undefined || policy === SAFE_EVICTION_POLICY) return;
  throw new ValidationError(
    'maxmemory-policy',
    `Redis is set to "${policy}", which evicts keys (queued jobs, the dead-token registry) when memory is full; ` +
      `set it to "${SAFE_EVICTION_POLICY}" (redis.conf: maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)`,
  );
}
