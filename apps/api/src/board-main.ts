#!/usr/bin/env node
/**
 * `node apps/api/dist/board-main.js` (what `pushfleet board` runs): the queue board, configured like the
 * API (REDIS_URL, PUSHFLEET_CONFIG | PUSHFLEET_APP, apiKeys / PUSHFLEET_API_KEYS) plus
 * PUSHFLEET_BOARD_HOST / _PORT (default 127.0.0.1:3030) and PUSHFLEET_BOARD_ALLOW_RETRY=1.
 */
import { connectRedis, ValidationError } from '@pushfleet/queue';
import { loadApiConfig } from './api-config.js';
import { createBoardServer } from './board.js';
import { API_LOGGER_OPTIONS } from './server.js';

async function main(): Promise<void> {
  const config = loadApiConfig({
    ...process.env,
    PUSHFLEET_API_PORT: process.env.PUSHFLEET_BOARD_PORT ?? '3030',
  });
  const { client: redis } = connectRedis(config.redisUrl);
  const board = await createBoardServer({
    redis,
    apps: config.apps,
    apiKeys: config.apiKeys,
    allowRetry: process.env.PUSHFLEET_BOARD_ALLOW_RETRY === '1',
    logger: API_LOGGER_OPTIONS,
  });
  const address = await board.listen({
    port: config.port,
    host: process.env.PUSHFLEET_BOARD_HOST || '127.0.0.1',
  });
  const url = address.replace('://localhost', '://127.0.0.1');
  process.send?.({ type: 'ready', url });
  process.stdout.write(`queue board at ${url}/ (user: anything, password: an API key for every app)\n`);
  const stop = () => {
    board.close().finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

main().catch((err: unknown) => {
  const msg = err instanceof ValidationError ? `configuration: ${err.message}` : (err as Error).message;
  process.stderr.write(`pushfleet board: ${msg}\n`);
  process.exit(1);
});
