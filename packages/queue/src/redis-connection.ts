/**
 * How the SDK (and the API's reads) talk to Redis: one connection helper for BullMQ, and the fail-fast
 * options and readiness wait that make a call give up within its timeout instead of queueing behind an outage.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from './errors.js';

/** Redis to use: a URL, ioredis options, or an ioredis client the caller owns (it is not closed by us). */
export type RedisTarget = string | RedisOptions | Redis;

/** Open an ioredis connection suitable for BullMQ (or return the caller's). */
export function connectRedis(
  target: RedisTarget,
  extra: RedisOptions = {},
): { client: Redis; owned: boolean } {
  if (target instanceof Redis) return { client: target, owned: false };
  const opts: RedisOptions = { maxRetriesPerRequest: null, ...extra };
  const client = typeof target === 'string' ? new Redis(target, opts) : new Redis({ ...target, ...opts });
  return { client, owned: true };
}

/**
 * Options for a producer's connection: fail fast instead of queueing. No offline queue (a command sent while
 * Redis is away fails at once) and no re-send of commands cut off by a disconnect, so nothing the caller
 * gave up on is enqueued later. (No ioredis commandTimeout: BullMQ's blocking reads share these options.)
 */
export function failFastRedisOptions(timeoutMs: number): RedisOptions {
  return {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    connectTimeout: timeoutMs,
  };
}

/** Resolve once `client` is ready, or reject with RedisUnavailableError after `timeoutMs`. */
export async function redisReady(client: Redis, timeoutMs: number, where: string): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new RedisUnavailableError(where, timeoutMs));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** ioredis's words for "the connection is not there" (offline queue off, closed, timed out). */
export function isConnectionError(err: unknown): boolean {
  const message = (err as Error)?.message ?? '';
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|max retries per request/i.test(
    message,
  );
}
