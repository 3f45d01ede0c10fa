/**
 * The API's own Redis reads (feedback, dead letters, pauses, the registry) fail like the producer's writes:
 * within the timeout, as RedisUnavailableError (503 with Retry-After), never hanging a request.
 */
import { RedisUnavailableError, redisReady } from '@pushfleet/queue';
import type { Redis } from 'ioredis';

const CONNECTION_TROUBLE =
  /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|max retries per request/i;

export type RedisRead = <T>(op: (redis: Redis) => Promise<T>) => Promise<T>;

export function redisReads(redis: Redis, timeoutMs: number, where = 'Redis'): RedisRead {
  return async (op) => {
    await redisReady(redis, timeoutMs, where);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(where, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([op(redis), timedOut]);
    } catch (err) {
      if (CONNECTION_TROUBLE.test((err as Error)?.message ?? ''))
        throw new RedisUnavailableError(where, timeoutMs, err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
