/**
 * API keys: who may call the HTTP API and the queue board, and for which apps. A key is stored only as the
 * SHA-256 of its text (hex), so neither the config file nor the environment holds a usable secret; the
 * caller presents the key itself as `Authorization: Bearer <key>`.
 *
 *   config file:        "apiKeys": [{ "id": "shop-backend", "sha256": "<64 hex>", "apps": ["shop"] }]
 *   PUSHFLEET_API_KEYS: "shop-backend:<64 hex>:shop;ops:<64 hex>:*"   (id:sha256:app,app,... ; `*` = every app)
 *
 * Both are read; an id may appear once across them. Comparing a presented key is the API's job
 * (constant time); this module only parses and checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { APP_NAME_PATTERN, ValidationError } from '@pushfleet/queue';
import type { EnvironmentVariables } from './env-config.js';

/** Every app of the fleet. */
export const ALL_APPS = '*';

export interface ApiKeyConfig {
  /** Names the key in logs and rate limits (the key itself is never logged): 1-63 of a-z 0-9 . _ - */
  readonly id: string;
  /** SHA-256 of the key's text, lowercase hex. */
  readonly sha256: string;
  /** The apps the key may enqueue to and read, or `['*']` for all. */
  readonly apps: readonly string[];
  /** Requests per minute for this key. @defaultValue the API's (PUSHFLEET_API_RATE_LIMIT, 1200) */
  readonly ratePerMinute?: number | undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const KEY_ID = APP_NAME_PATTERN;

/** The SHA-256 (hex) to put in the configuration for a key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key (`pf_` + 32 bytes base64url) and its hash. */
export function generateApiKey(): { readonly key: string; readonly sha256: string } {
  const key = `pf_${randomBytes(32).toString('base64url')}`;
  return { key, sha256: hashApiKey(key) };
}

/** Does `key` allow `app`? */
export function keyAllowsApp(key: ApiKeyConfig, app: string): boolean {
  return key.apps.includes(ALL_APPS) || key.apps.includes(app);
}

function checkApps(apps: unknown, path: string, known: readonly string[] | undefined): string[] {
  if (!Array.isArray(apps) || apps.length === 0)
    throw new ValidationError(path, 'must list at least one app (or "*" for every app)');
  return apps.map((a, i) => {
    if (a === ALL_APPS) return a;
    if (typeof a !== 'string' || !APP_NAME_PATTERN.test(a))
      throw new ValidationError(`${path}[${i}]`, `${JSON.stringify(a)} is not an app name`);
    if (known && !known.includes(a))
      throw new ValidationError(
        `${path}[${i}]`,
        `"${a}" is not a configured app (known: ${known.join(', ')})`,
      );
    return a;
  });
}

/** One `apiKeys[i]` entry of the config file. `known` are the file's app names. */
export function parseApiKey(raw: unknown, path: string, known?: readonly string[]): ApiKeyConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ValidationError(path, 'must be an object: { "id", "sha256", "apps" }');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['id', 'sha256', 'apps', 'ratePerMinute'].includes(k))
      throw new ValidationError(
        `${path}.${k}`,
        'is not a known field (expected id, sha256, apps, ratePerMinute)',
      );
  }
  if (typeof o.id !== 'string' || !KEY_ID.test(o.id))
    throw new ValidationError(
      `${path}.id`,
      'must be 1-63 chars of a-z, 0-9, . _ - (it names the key in logs)',
    );
  if (typeof o.sha256 !== 'string' || !SHA256_HEX.test(o.sha256.toLowerCase()))
    throw new ValidationError(
      `${path}.sha256`,
      'must be the SHA-256 of the key as 64 hex digits (never the key itself: `pushfleet api-key` prints both)',
    );
  const rate = o.ratePerMinute;
  if (rate !== undefined && (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < 1))
    throw new ValidationError(`${path}.ratePerMinute`, 'must be a whole number above 0');
  return {
    id: o.id,
    sha256: o.sha256.toLowerCase(),
    apps: checkApps(o.apps, `${path}.apps`, known),
    ...(rate !== undefined ? { ratePerMinute: rate as number } : {}),
  };
}

/** PUSHFLEET_API_KEYS: `id:sha256:app,app;id:sha256:*`. */
export function parseApiKeysVariable(value: string, known?: readonly string[]): ApiKeyConfig[] {
  return value
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const [id, sha256, apps, extra] = entry.split(':');
      const path = `PUSHFLEET_API_KEYS[${i}]`;
      if (extra !== undefined || apps === undefined)
        throw new ValidationError(path, 'must be ID:SHA256:APP[,APP...] (entries separated by ;)');
      return parseApiKey({ id, sha256, apps: apps.split(',').map((a) => a.trim()) }, path, known);
    });
}

/** Refuse two keys with one id or one hash (a copy-paste slip that would make logs and limits lie). */
export function checkApiKeysUnique(keys: readonly ApiKeyConfig[], where = 'apiKeys'): void {
  const ids = new Set<string>();
  const hashes = new Set<string>();
  keys.forEach((k, i) => {
    if (ids.has(k.id)) throw new ValidationError(`${where}[${i}].id`, `"${k.id}" is used by two keys`);
    if (hashes.has(k.sha256))
      throw new ValidationError(`${where}[${i}].sha256`, 'is the hash of another key too');
    ids.add(k.id);
    hashes.add(k.sha256);
  });
}

/** The keys of the config file plus those of PUSHFLEET_API_KEYS. */
export function apiKeysFromEnv(
  env: EnvironmentVariables,
  fileKeys: readonly ApiKeyConfig[] = [],
  knownApps?: readonly string[],
): ApiKeyConfig[] {
  const keys = [
    ...fileKeys,
    ...(env.PUSHFLEET_API_KEYS ? parseApiKeysVariable(env.PUSHFLEET_API_KEYS, knownApps) : []),
  ];
  checkApiKeysUnique(keys);
  return keys;
}
