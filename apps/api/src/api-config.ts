/**
 * The API process's configuration, from environment variables (the apps and keys through @pushfleet/config):
 *   REDIS_URL | REDIS_CLUSTER_NODES   redis://host:port, or a Redis Cluster (redis+cluster://h:p,h:p | h:p,h:p)
 *   PUSHFLEET_CONFIG | PUSHFLEET_APP  the fleet config (apps, topics, apiKeys), or one app (default "default")
 *   PUSHFLEET_API_KEYS                more keys: id:sha256:app,app;...  (at least one key is needed)
 *   PUSHFLEET_API_HOST / _PORT        where to listen (default 127.0.0.1:8080; port 0 = a free one)
 *   PUSHFLEET_API_MAX_BODY_BYTES      largest request body (default 10485760)
 *   PUSHFLEET_API_MAX_BATCH           most notifications or tokens per request (default 10000)
 *   PUSHFLEET_API_RATE_LIMIT          requests per minute per key (default 1200)
 */
import {
  type ApiKeyConfig,
  apiKeysFromEnv,
  appNameFromEnv,
  type EnvironmentVariables,
  fleetConfigFromEnv,
  integerFromEnv,
  requiredRedisUrlFromEnv,
} from '@pushfleet/config';
import { type AppRoutes, routesFor, ValidationError } from '@pushfleet/queue';
import { DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, DEFAULT_RATE_PER_MINUTE } from './server.js';

export interface ApiConfig {
  readonly redisUrl: string;
  readonly apps: readonly string[];
  /** Topic routing when a fleet config names several apps. */
  readonly routes?: AppRoutes | undefined;
  readonly apiKeys: readonly ApiKeyConfig[];
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly maxBatch: number;
  readonly ratePerMinute: number;
}

/** @throws ValidationError naming the variable or config field. */
export function loadApiConfig(env: EnvironmentVariables): ApiConfig {
  const redisUrl = requiredRedisUrlFromEnv(env);
  const fleet = fleetConfigFromEnv(env);
  const apps = fleet ? fleet.apps.map((a) => a.name) : [appNameFromEnv(env)];
  const apiKeys = apiKeysFromEnv(env, fleet?.apiKeys ?? [], apps);
  if (apiKeys.length === 0)
    throw new ValidationError(
      'PUSHFLEET_API_KEYS',
      'no API key is configured: add "apiKeys" to the fleet config or set PUSHFLEET_API_KEYS (`pushfleet api-key` makes one)',
    );
  return {
    redisUrl,
    apps,
    routes: fleet ? routesFor(fleet.apps) : undefined,
    apiKeys,
    host: env.PUSHFLEET_API_HOST || '127.0.0.1',
    port: integerFromEnv(env, 'PUSHFLEET_API_PORT', 8080, 0, 65535),
    maxBodyBytes: integerFromEnv(
      env,
      'PUSHFLEET_API_MAX_BODY_BYTES',
      DEFAULT_MAX_BODY_BYTES,
      1024,
      1024 ** 3,
    ),
    maxBatch: integerFromEnv(env, 'PUSHFLEET_API_MAX_BATCH', DEFAULT_MAX_BATCH, 1, 1_000_000),
    ratePerMinute: integerFromEnv(env, 'PUSHFLEET_API_RATE_LIMIT', DEFAULT_RATE_PER_MINUTE, 1, 10_000_000),
  };
}
