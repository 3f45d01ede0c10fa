/**
 * Worker configuration. This foundation reads one app from environment variables; the multi-app config
 * file comes with the credentials work and produces the same `WorkerConfig`.
 *
 *   REDIS_URL                     redis://host:port            (required)
 *   PUSHFLEET_APP                 app name                     (default: default)
 *   APNS_URL | APNS_ENV           https://host:port | production | sandbox   (default: sandbox)
 *   APNS_CA_FILE                  extra CA to trust (the simulator's), PEM
 *   APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID     token auth (.p8 file, 10-char key id and team id)
 *   PUSHFLEET_METRICS_HOST/PORT   where /metrics and /healthz listen (default 127.0.0.1:9464; port 0 = free)
 *   PUSHFLEET_CONCURRENCY         jobs in flight per app (default 256)
 */
import { readFileSync } from 'node:fs';
import { APNS_HOSTS, APNS_PORT } from '@pushfleet/apns';

export interface TokenAuthConfig {
  readonly kind: 'token';
  /** PEM of the .p8 key (a secret: never log it). */
  readonly keyPem: string;
  /** Where the key came from, for error messages. */
  readonly keySource: string;
  readonly keyId: string;
  readonly teamId: string;
}

export interface AppConfig {
  readonly name: string;
  readonly transport: 'http2';
  /** APNs (or simulator) base URL, e.g. https://api.push.apple.com:443. */
  readonly url: string;
  /** Extra CA certificate(s) to trust, PEM. */
  readonly ca?: string;
  readonly auth: TokenAuthConfig;
}

export interface WorkerConfig {
  readonly redisUrl: string;
  readonly apps: readonly AppConfig[];
  readonly metricsHost: string;
  readonly metricsPort: number;
  readonly concurrency: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ConfigError(name, 'is required');
  return v.trim();
}

function readFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(name, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(name, `must be an integer from ${min} to ${max}; got "${raw}"`);
  return n;
}

export function apnsUrlFromEnv(env: Env): string {
  if (env.APNS_URL) {
    let url: URL;
    try {
      url = new URL(env.APNS_URL);
    } catch {
      throw new ConfigError('APNS_URL', `"${env.APNS_URL}" is not a URL`);
    }
    if (url.protocol !== 'https:')
      throw new ConfigError('APNS_URL', 'must be https:// (APNs is HTTP/2 over TLS)');
    return url.origin;
  }
  const envName = env.APNS_ENV ?? 'sandbox';
  if (envName !== 'production' && envName !== 'sandbox') {
    throw new ConfigError('APNS_ENV', `must be production or sandbox; got "${envName}"`);
  }
  return `https://${APNS_HOSTS[envName]}:${APNS_PORT}`;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const redisUrl = required(env, 'REDIS_URL');
  const name = env.PUSHFLEET_APP || 'default';
  const keyFile = required(env, 'APNS_KEY_FILE');
  const app: AppConfig = {
    name,
    transport: 'http2',
    url: apnsUrlFromEnv(env),
    ...(env.APNS_CA_FILE ? { ca: readFile('APNS_CA_FILE', env.APNS_CA_FILE) } : {}),
    auth: {
      kind: 'token',
      keyPem: readFile('APNS_KEY_FILE', keyFile),
      keySource: keyFile,
      keyId: required(env, 'APNS_KEY_ID'),
      teamId: required(env, 'APNS_TEAM_ID'),
    },
  };
  return {
    redisUrl,
    apps: [app],
    metricsHost: env.PUSHFLEET_METRICS_HOST || '127.0.0.1',
    metricsPort: integer(env, 'PUSHFLEET_METRICS_PORT', 9464, 0, 65535),
    concurrency: integer(env, 'PUSHFLEET_CONCURRENCY', 256, 1, 100_000),
  };
}
