/**
 * A redis-server of the test file's own (test files run in parallel, so none shares one): started before the
 * file's tests, handed to `use` with a client on it, and stopped after them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisServer, startRedisServer } from '../redis-server.js';

export function redisPerFile(use: (server: RedisServer, redis: Redis) => void): void {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    use(server, redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });
}
