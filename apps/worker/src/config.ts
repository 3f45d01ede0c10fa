/**
 * Worker configuration: the apps it serves, resolved to URLs and loaded, checked credentials (by
 * @pushfleet/config, from PUSHFLEET_CONFIG or the APNS_* variables: docs/configuration.md), and the
 * process's own settings:
 *   REDIS_URL | REDIS_CLUSTER_NODES               redis://host:port, or a Redis Cluster: redis+cluster://h:p,h:p
 *                                                 or REDIS_CLUSTER_NODES=h:p,h:p (one is required)
 *   PUSHFLEET_METRICS_HOST/PORT                   /metrics and /healthz (default 127.0.0.1:9464; port 0 = free)
 *   PUSHFLEET_CONCURRENCY                         the most jobs in flight per HTTP/2 app (default 256; below it the
 *                                                 number follows the transport's capacity: job-intake.ts)
 *   PUSHFLEET_LEGACY_CONCURRENCY                  the most jobs in flight per legacy app (default 4096)
 *   PUSHFLEET_MAX_IN_FLIGHT                       the most notifications in flight per HTTP/2 app (default: the
 *                                                 sessions' stream limits, which it can only lower)
 *   PUSHFLEET_LOG_LEVEL                           fatal|error|warn|info|debug|trace|silent (default info)
 *   PUSHFLEET_CHANNEL_MANAGEMENT_URL              channel-management origin for apps not on Apple's push hosts
 *                                                 (the simulator's management port); Apple's hosts need none
 */
import {
  configuredApps,
  type EnvironmentVariables,
  integerFromEnv,
  type ResolvedApp,
  requiredRedisUrlFromEnv,
  resolveApp,
  type SimulatorEndpoint,
  simulatorEndpointFromEnv,
} from '@pushfleet/config';
import { DEFAULT_LOG_LEVEL, isLogLevel, LOG_LEVELS, type LogLevel } from '@pushfleet/log';
import { ValidationError } from '@pushfleet/queue';

export interface WorkerConfig {
  readonly redisUrl: string;
  readonly apps: readonly ResolvedApp[];
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly concurrency: number;
  /** Jobs in flight per legacy app (each waits out the delivery window). */
  readonly legacyConcurrency: number;
  /**
   * Notifications in flight per HTTP/2 app, at most: a bound on what one process holds and sends at once,
   * below the transport's capacity (sessions × the server's stream limit). @defaultValue the capacity alone
   */
  readonly maxInFlight?: number | undefined;
  /** @defaultValue DEFAULT_LOG_LEVEL */
  readonly logLevel?: LogLevel;
  /** Channel-management origin for apps whose push host is not Apple's (e.g. the simulator's management port). */
  readonly channelManagementUrl?: string | undefined;
}

export interface LoadWorkerConfigOptions {
  /** Where `environment: "simulator"` points when the PUSHFLEET_SIMULATOR_* variables do not say. */
  readonly simulator?: SimulatorEndpoint | undefined;
}

function logLevel(env: EnvironmentVariables): LogLevel {
  const raw = env.PUSHFLEET_LOG_LEVEL?.trim();
  if (!raw) return DEFAULT_LOG_LEVEL;
  if (!isLogLevel(raw))
    throw new ValidationError('PUSHFLEET_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}; got "${raw}"`);
  return raw;
}

/** @throws ValidationError naming the variable or config field; CredentialsError naming the app. */
export function loadWorkerConfig(
  env: EnvironmentVariables = process.env,
  options: LoadWorkerConfigOptions = {},
): WorkerConfig {
  const redisUrl = requiredRedisUrlFromEnv(env);
  const simulator = simulatorEndpointFromEnv(env, options.simulator);
  return {
    redisUrl,
    apps: configuredApps(env).map((app) => resolveApp(app, { env, simulator })),
    metricsHost: env.PUSHFLEET_METRICS_HOST || '127.0.0.1',
    metricsPort: integerFromEnv(env, 'PUSHFLEET_METRICS_PORT', 9464, 0, 65535),
    concurrency: integerFromEnv(env, 'PUSHFLEET_CONCURRENCY', 256, 1, 100_000),
    legacyConcurrency: integerFromEnv(env, 'PUSHFLEET_LEGACY_CONCURRENCY', 4096, 1, 100_000),
    ...(env.PUSHFLEET_MAX_IN_FLIGHT?.trim()
      ? { maxInFlight: integerFromEnv(env, 'PUSHFLEET_MAX_IN_FLIGHT', 0, 1, 1_000_000) }
      : {}),
    logLevel: logLevel(env),
    ...(env.PUSHFLEET_CHANNEL_MANAGEMENT_URL?.trim()
      ? { channelManagementUrl: env.PUSHFLEET_CHANNEL_MANAGEMENT_URL.trim() }
      : {}),
  };
}
