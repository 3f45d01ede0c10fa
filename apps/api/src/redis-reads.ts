/**
 * The API's own Redis reads (feedback, dead letters, pauses, the registry) fail like the producer's writes:
 * within the timeout, as RedisUnavailableError (503 with Retry-After), never hanging a request.
 */
import { isConnectionError, type RedisClient, RedisUnavailableError, redisReady } from '@pushfleet/queue';

export type RedisRead = <T>(op: (redis: RedisClient) => Promise<T>) => Promise<T>;

export function redisReads(redis: RedisClient, timeoutMs: number, where = 'Redis'): RedisRead {
  return async (op) => {
    await redisReady(redis, timeoutMs, where);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(where, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([op(redis), timedOut]);
    } catch (err) {
      if (isConnectionError(err)) throw new RedisUnavailableError(where, timeoutMs, err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
