/**
 * A real API for a test: Fastify listening on a free loopback port, a producer and a Redis client on the
 * test file's redis-server, and fresh API keys. `await using api = await startApi(...)`.
 */
import { type ApiKeyConfig, generateApiKey } from '@pushfleet/config';
import {
  type AppRoutes,
  connectRedis,
  createProducer,
  failFastRedisOptions,
  type Producer,
  type RedisClient,
  redisReady,
} from '@pushfleet/queue';
import type { FastifyInstance } from 'fastify';
import { type ApiServerOptions, createApiServer } from '../server.js';

export interface TestKey extends ApiKeyConfig {
  /** The bearer text (only tests hold it). */
  readonly key: string;
}

export function testKey(id: string, apps: readonly string[], extra: Partial<ApiKeyConfig> = {}): TestKey {
  const { key, sha256 } = generateApiKey();
  return { id, sha256, apps, key, ...extra };
}

export interface TestApi extends AsyncDisposable {
  readonly base: string;
  readonly server: FastifyInstance;
  readonly producer: Producer;
  readonly redis: RedisClient;
  readonly keys: Record<string, TestKey>;
  /** fetch with `Authorization: Bearer` of `keys[as]` (default the first key). */
  call(path: string, init?: RequestInit & { as?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export interface StartApiOptions extends Partial<Omit<ApiServerOptions, 'producer' | 'redis' | 'apiKeys'>> {
  readonly redisUrl: string;
  readonly apps: readonly string[];
  readonly keys?: readonly TestKey[];
  readonly routes?: AppRoutes;
  readonly redisTimeoutMs?: number;
}

export async function startApi(options: StartApiOptions): Promise<TestApi> {
  const { redisUrl, keys: given, routes, ...rest } = options;
  const keys = given ?? [testKey('all', ['*'])];
  const timeout = options.redisTimeoutMs ?? 5000;
  const producer = createProducer({
    redis: redisUrl,
    redisTimeoutMs: timeout,
    ...(routes ? { routes } : { app: options.apps[0]! }),
  });
  const { client: redis } = connectRedis(redisUrl, failFastRedisOptions(timeout));
  redis.on('error', () => {});
  await redisReady(redis, timeout, redisUrl); // tests use it at once; the API itself waits per read
  const server = await createApiServer({ ...rest, producer, redis, apiKeys: keys });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  const byId = Object.fromEntries(keys.map((k) => [k.id, k]));
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await server.close();
      await producer.close();
      redis.disconnect();
    })());
  return {
    base: address,
    server,
    producer,
    redis,
    keys: byId,
    call(path, init = {}) {
      const { as, json, ...req } = init;
      const key = as === null ? undefined : byId[as ?? keys[0]!.id];
      const headers = new Headers(req.headers);
      if (key) headers.set('authorization', `Bearer ${key.key}`);
      if (json !== undefined) {
        headers.set('content-type', headers.get('content-type') ?? 'application/json');
        req.body = typeof json === 'string' ? json : JSON.stringify(json);
        req.method ??= 'POST';
      }
      return fetch(`${address}${path}`, { ...req, headers });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A notification for `topic` to a token made from `i`. */
export function notification(i: number, topic = 'com.example.app'): Record<string, unknown> {
  return { token: i.toString(16).padStart(64, '0'), topic, payload: { aps: { alert: `#${i}` } } };
}
