#!/usr/bin/env node
/**
 * `node apps/api/dist/main.js`: the HTTP API, configured from environment variables (api-config.ts).
 * Reports `{ type: 'ready', url }` over IPC when started by `pushfleet start`.
 */
import { connectRedis, createProducer, failFastRedisOptions, ValidationError } from '@pushfleet/queue';
import { loadApiConfig } from './api-config.js';
import { API_LOGGER_OPTIONS, createApiServer } from './server.js';

const REDIS_TIMEOUT_MS = 5000;

async function main(): Promise<void> {
  const config = loadApiConfig(process.env);
  const producer = createProducer({
    redis: config.redisUrl,
    redisTimeoutMs: REDIS_TIMEOUT_MS,
    ...(config.routes ? { routes: config.routes } : { app: config.apps[0]! }),
  });
  const { client: redis } = connectRedis(config.redisUrl, failFastRedisOptions(REDIS_TIMEOUT_MS));
  redis.on('error', () => {}); // each read answers 503 instead
  const server = await createApiServer({
    producer,
    redis,
    apps: config.apps,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    maxBatch: config.maxBatch,
    ratePerMinute: config.ratePerMinute,
    redisTimeoutMs: REDIS_TIMEOUT_MS,
    logger: API_LOGGER_OPTIONS,
  });
  const address = await server.listen({ port: config.port, host: config.host });
  const url = address.replace('://localhost', '://127.0.0.1');
  server.log.info({ url, apps: config.apps, keys: config.apiKeys.map((k) => k.id) }, 'api ready');
  process.send?.({ type: 'ready', url });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server
      .close()
      .then(() => producer.close())
      .finally(() => {
        redis.disconnect();
        process.exit(0);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

main().catch((err: unknown) => {
  const msg = err instanceof ValidationError ? `configuration: ${err.message}` : (err as Error).message;
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'api failed to start', error: msg })}\n`,
  );
  process.exit(1);
});
