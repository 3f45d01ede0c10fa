/**
 * Configuration from environment variables. The caller passes the variables as a plain object (an app
 * passes `process.env`), so a test states exactly what it sets.
 *
 *   PUSHFLEET_CONFIG=/path/fleet.json             many apps, from the config file (docs/configuration.md)
 *   one app, without a file:
 *   APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID     token auth (.p8 file, 10-char key id and team id), or
 *   APNS_P12_FILE [+ APNS_P12_PASSPHRASE]         certificate auth (.p12)
 *   APNS_URL | APNS_ENV                           https://host:port | production | sandbox (default sandbox)
 *   APNS_CA_FILE                                  extra CA to trust (the simulator's), PEM
 *   APNS_TOPICS                                   comma-separated topics (certificate checks; optional)
 *   PUSHFLEET_APP                                 app name (default: default)
 *   PUSHFLEET_SIMULATOR_URL, _LEGACY_URL, _FEEDBACK_URL, _CA_FILE   where `environment: "simulator"` points
 */
import { APP_NAME_PATTERN, ValidationError } from '@pushfleet/queue';
import type { AppConfig, CredentialsConfig, FleetConfig } from './app-config.js';
import { loadFleetConfig } from './fleet-config.js';
import type { SimulatorEndpoint } from './simulator-endpoint.js';

export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

function requiredEnv(env: EnvironmentVariables, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ValidationError(name, 'is required');
  return v.trim();
}

/** A whole-number variable from `min` to `max`; `fallback` when unset or empty. @throws ValidationError naming it */
export function integerFromEnv(
  env: EnvironmentVariables,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ValidationError(name, `must be an integer from ${min} to ${max}; got "${raw}"`);
  return n;
}

/** PUSHFLEET_APP, checked as an app name; `default` when unset. */
export function appNameFromEnv(env: EnvironmentVariables): string {
  const name = env.PUSHFLEET_APP || 'default';
  if (!APP_NAME_PATTERN.test(name))
    throw new ValidationError('PUSHFLEET_APP', `"${name}" must be 1-63 chars of a-z, 0-9, . _ -`);
  return name;
}

/** The config file named by PUSHFLEET_CONFIG, read and checked; undefined when the variable is unset. */
export function fleetConfigFromEnv(env: EnvironmentVariables): FleetConfig | undefined {
  return env.PUSHFLEET_CONFIG ? loadFleetConfig(env.PUSHFLEET_CONFIG) : undefined;
}

/** The single app described by the APNS_* variables and PUSHFLEET_APP (the quick path without a file). */
export function appFromEnv(env: EnvironmentVariables): AppConfig {
  const name = appNameFromEnv(env);
  let environment: AppConfig['environment'] = 'sandbox';
  let url: string | undefined;
  if (env.APNS_URL) {
    let parsed: URL;
    try {
      parsed = new URL(env.APNS_URL);
    } catch {
      throw new ValidationError('APNS_URL', `"${env.APNS_URL}" is not a URL`);
    }
    if (parsed.protocol !== 'https:')
      throw new ValidationError('APNS_URL', 'must be https:// (APNs is HTTP/2 over TLS)');
    environment = 'url';
    url = parsed.origin;
  } else if (env.APNS_ENV) {
    if (env.APNS_ENV !== 'production' && env.APNS_ENV !== 'sandbox') {
      throw new ValidationError('APNS_ENV', `must be production or sandbox; got "${env.APNS_ENV}"`);
    }
    environment = env.APNS_ENV;
  }
  const topics = (env.APNS_TOPICS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const credentials: CredentialsConfig = env.APNS_P12_FILE
    ? {
        type: 'certificate',
        certificate: { file: env.APNS_P12_FILE },
        ...(env.APNS_P12_PASSPHRASE !== undefined ? { passphraseEnv: 'APNS_P12_PASSPHRASE' } : {}),
      }
    : {
        type: 'token',
        key: { file: requiredEnv(env, 'APNS_KEY_FILE') },
        keyId: requiredEnv(env, 'APNS_KEY_ID'),
        teamId: requiredEnv(env, 'APNS_TEAM_ID'),
      };
  return {
    name,
    topics,
    transport: 'http2',
    environment,
    ...(url ? { url } : {}),
    ...(env.APNS_CA_FILE ? { caFile: env.APNS_CA_FILE } : {}),
    credentials,
  };
}

/** The apps a process serves: those of the PUSHFLEET_CONFIG file, else the one app of the APNS_* variables. */
export function configuredApps(env: EnvironmentVariables): readonly AppConfig[] {
  return fleetConfigFromEnv(env)?.apps ?? [appFromEnv(env)];
}

/** The simulator endpoint: each PUSHFLEET_SIMULATOR_* variable that is set, else the caller's `fallback`. */
export function simulatorEndpointFromEnv(
  env: EnvironmentVariables,
  fallback: SimulatorEndpoint = {},
): SimulatorEndpoint {
  return {
    url: env.PUSHFLEET_SIMULATOR_URL || fallback.url,
    legacyUrl: env.PUSHFLEET_SIMULATOR_LEGACY_URL || fallback.legacyUrl,
    feedbackUrl: env.PUSHFLEET_SIMULATOR_FEEDBACK_URL || fallback.feedbackUrl,
    caFile: env.PUSHFLEET_SIMULATOR_CA_FILE || fallback.caFile,
  };
}
