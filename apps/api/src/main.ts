#!/usr/bin/env node
/**
 * `node apps/api/dist/main.js`: the ingestion API. REDIS_URL (required), PUSHFLEET_CONFIG (fleet config: route
 * by topic) or PUSHFLEET_APP (one app, default "default"), PUSHFLEET_API_HOST/PORT (default 127.0.0.1:8080; 0 = free).
 */
import type { AddressInfo } from 'node:net';
import { appNameFromEnv, fleetConfigFromEnv } from '@pushfleet/config';
import { createProducer, routesFor } from '@pushfleet/queue';
import { createApiServer } from './server.js';

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL: is required');
  const port = Number(process.env.PUSHFLEET_API_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PUSHFLEET_API_PORT: "${process.env.PUSHFLEET_API_PORT}" is not a port`);
  const host = process.env.PUSHFLEET_API_HOST || '127.0.0.1';
  // With a fleet config, each notification goes to the app owning its topic; unknown topics are refused.
  const config = fleetConfigFromEnv(process.env);
  const producer = createProducer({
    redis: redisUrl,
    ...(config ? { routes: routesFor(config.apps) } : { app: appNameFromEnv(process.env) }),
  });
  const server = createApiServer({ producer });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'api ready', url })}\n`,
  );
  process.send?.({ type: 'ready', url });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    producer.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

main().catch((err: Error) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'api failed to start', error: err.message })}\n`,
  );
  process.exit(1);
});
