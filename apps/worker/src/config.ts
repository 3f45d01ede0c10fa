/**
 * Worker configuration: the apps it serves, resolved to URLs and loaded, checked credentials.
 *
 * Many apps: `PUSHFLEET_CONFIG=/path/fleet.json` (the format is in docs/configuration.md).
 * One app, from environment variables alone:
 *   APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID     token auth (.p8 file, 10-char key id and team id), or
 *   APNS_P12_FILE [+ APNS_P12_PASSPHRASE]         certificate auth (.p12)
 *   APNS_URL | APNS_ENV                           https://host:port | production | sandbox (default sandbox)
 *   APNS_CA_FILE                                  extra CA to trust (the simulator's), PEM
 *   APNS_TOPICS                                   comma-separated topics (certificate checks; optional)
 *   PUSHFLEET_APP                                 app name (default: default)
 * Always:
 *   REDIS_URL                                     redis://host:port (required)
 *   PUSHFLEET_METRICS_HOST/PORT                   /metrics and /healthz (default 127.0.0.1:9464; port 0 = free)
 *   PUSHFLEET_CONCURRENCY                         jobs in flight per HTTP/2 app (default 256)
 *   PUSHFLEET_LEGACY_CONCURRENCY                  jobs in flight per legacy app (default 4096)
 *   PUSHFLEET_SIMULATOR_URL/_LEGACY_URL/_CA_FILE  where `environment: "simulator"` points
 */
import { type AppSpec, type ResolvedApp, resolveApp } from '@pushfleet/apns';
import {
  appFromEnv,
  ValidationError as ConfigError,
  loadFleetConfig,
  simulatorEndpointFromEnv,
} from '@pushfleet/queue';

export type AppConfig = ResolvedApp;

export interface WorkerConfig {
  readonly redisUrl: string;
  readonly apps: readonly AppConfig[];
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly concurrency: number;
  /** Jobs in flight per legacy app (each waits out the delivery window). */
  readonly legacyConcurrency: number;
}

/** A bad environment variable: the same error, naming the variable, as bad input gets everywhere else. */
export { ValidationError as ConfigError } from '@pushfleet/queue';

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ConfigError(name, 'is required');
  return v.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer from ${min} to ${max}; got "${raw}"`);
  return n;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const redisUrl = required(env, 'REDIS_URL');
  const simulator = simulatorEndpointFromEnv(env);
  const specs: readonly AppSpec[] = env.PUSHFLEET_CONFIG
    ? loadFleetConfig(env.PUSHFLEET_CONFIG).apps
    : [appFromEnv(env)];
  return {
    redisUrl,
    apps: specs.map((spec) => resolveApp(spec, { env, simulator })),
    metricsHost: env.PUSHFLEET_METRICS_HOST || '127.0.0.1',
    metricsPort: integer(env, 'PUSHFLEET_METRICS_PORT', 9464, 0, 65535),
    concurrency: integer(env, 'PUSHFLEET_CONCURRENCY', 256, 1, 100_000),
    legacyConcurrency: integer(env, 'PUSHFLEET_LEGACY_CONCURRENCY', 4096, 1, 100_000),
  };
}
