/**
 * The fleet's configuration file: which apps exist, the topics each one owns, how each reaches APNs and
 * with which credentials. One JSON file (documented in docs/configuration.md); secrets are never in it,
 * only references: a file path or the name of an environment variable.
 *
 * This module parses and validates the file; errors name the JSON path of the bad field.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { APP_NAME_PATTERN, ValidationError } from '@pushfleet/queue';
import { checkApiKeysUnique, parseApiKey } from './api-keys.js';
import {
  APP_ENVIRONMENTS,
  type AppConfig,
  type AppEnvironment,
  type CredentialsConfig,
  type DeadLetterConfig,
  type FleetConfig,
  RETRY_CONFIG_FIELDS,
  type RetryConfig,
  type SecretSource,
  TRANSPORTS,
  type Transport,
  type WebhookConfig,
} from './app-config.js';

const KEY_OR_TEAM_ID = /^[A-Z0-9]{10}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOPIC = /^[A-Za-z0-9][A-Za-z0-9.\-_]*$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new ValidationError(path, problem);
}

function str(o: Obj, key: string, path: string, required = true): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.trim() === '')
    fail(`${path}.${key}`, v === undefined ? 'is required' : 'must be a non-empty string');
  return v;
}

function only(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(`${path}.${k}`, `is not a known field (expected ${allowed.join(', ')})`);
  }
}

function secretSource(v: unknown, path: string, baseDir: string): SecretSource {
  if (typeof v === 'string') return { file: isAbsolute(v) ? v : resolve(baseDir, v) };
  if (!isObj(v)) fail(path, 'must be a file path, { "file": PATH } or { "env": VARIABLE }');
  only(v, path, ['file', 'env']);
  if (typeof v.file === 'string' && v.env === undefined)
    return { file: isAbsolute(v.file) ? v.file : resolve(baseDir, v.file) };
  if (typeof v.env === 'string' && v.file === undefined) {
    if (!ENV_NAME.test(v.env)) fail(`${path}.env`, `"${v.env}" is not an environment variable name`);
    return { env: v.env };
  }
  return fail(path, 'give exactly one of "file" or "env"');
}

function credentials(v: unknown, path: string, baseDir: string): CredentialsConfig {
  if (!isObj(v)) fail(path, 'is required: { "type": "token", ... } or { "type": "certificate", ... }');
  if (v.type === 'token') {
    only(v, path, ['type', 'key', 'keyId', 'teamId']);
    const keyId = str(v, 'keyId', path)!;
    const teamId = str(v, 'teamId', path)!;
    if (!KEY_OR_TEAM_ID.test(keyId)) fail(`${path}.keyId`, 'must be the 10-character key id (A-Z, 0-9)');
    if (!KEY_OR_TEAM_ID.test(teamId)) fail(`${path}.teamId`, 'must be the 10-character team id (A-Z, 0-9)');
    if (v.key === undefined) fail(`${path}.key`, 'is required (the .p8 file, or { "env": VARIABLE })');
    return { type: 'token', key: secretSource(v.key, `${path}.key`, baseDir), keyId, teamId };
  }
  if (v.type === 'certificate') {
    only(v, path, ['type', 'certificate', 'key', 'passphraseEnv']);
    if (v.certificate === undefined)
      fail(`${path}.certificate`, 'is required (a .p12, or a PEM/DER certificate)');
    const passphraseEnv = str(v, 'passphraseEnv', path, false);
    if (passphraseEnv !== undefined && !ENV_NAME.test(passphraseEnv)) {
      fail(`${path}.passphraseEnv`, `"${passphraseEnv}" is not an environment variable name`);
    }
    return {
      type: 'certificate',
      certificate: secretSource(v.certificate, `${path}.certificate`, baseDir),
      ...(v.key !== undefined ? { key: secretSource(v.key, `${path}.key`, baseDir) } : {}),
      ...(passphraseEnv !== undefined ? { passphraseEnv } : {}),
    };
  }
  return fail(`${path}.type`, `must be "token" or "certificate"; got ${JSON.stringify(v.type)}`);
}

function app(v: unknown, path: string, baseDir: string): AppConfig {
  if (!isObj(v)) fail(path, 'must be an object');
  only(v, path, [
    'name',
    'topics',
    'transport',
    'environment',
    'caFile',
    'credentials',
    'retry',
    'deadLetters',
    'webhook',
  ]);
  const name = str(v, 'name', path)!;
  if (!APP_NAME_PATTERN.test(name)) fail(`${path}.name`, `"${name}" must be 1-63 chars of a-z, 0-9, . _ -`);
  if (!Array.isArray(v.topics) || v.topics.length === 0)
    fail(`${path}.topics`, 'must list at least one topic (bundle id)');
  const topics = v.topics.map((t, i) => {
    if (typeof t !== 'string' || !TOPIC.test(t))
      fail(`${path}.topics[${i}]`, `${JSON.stringify(t)} is not a bundle id`);
    return t;
  });
  const transport = v.transport ?? 'http2';
  if (!(TRANSPORTS as readonly unknown[]).includes(transport))
    fail(`${path}.transport`, `must be http2 or legacy; got ${JSON.stringify(transport)}`);
  const env = str(v, 'environment', path)!;
  let environment: AppConfig['environment'];
  let url: string | undefined;
  if ((APP_ENVIRONMENTS as readonly string[]).includes(env)) environment = env as AppEnvironment;
  else {
    let parsed: URL;
    try {
      parsed = new URL(env);
    } catch {
      return fail(`${path}.environment`, `must be production, sandbox, simulator or a URL; got "${env}"`);
    }
    const want = transport === 'http2' ? 'https:' : 'tls:';
    if (parsed.protocol !== want) fail(`${path}.environment`, `a ${transport} URL must start with ${want}//`);
    if (!parsed.port) fail(`${path}.environment`, 'the URL needs an explicit port');
    environment = 'url';
    url = `${parsed.protocol}//${parsed.host}`;
  }
  const caFile = str(v, 'caFile', path, false);
  return {
    name,
    topics,
    transport: transport as Transport,
    environment,
    ...(url ? { url } : {}),
    ...(caFile ? { caFile: isAbsolute(caFile) ? caFile : resolve(baseDir, caFile) } : {}),
    credentials: credentials(v.credentials, `${path}.credentials`, baseDir),
    ...(v.retry !== undefined ? { retry: retry(v.retry, `${path}.retry`) } : {}),
    ...(v.deadLetters !== undefined
      ? { deadLetters: deadLetters(v.deadLetters, `${path}.deadLetters`) }
      : {}),
    ...(v.webhook !== undefined ? { webhook: webhook(v.webhook, `${path}.webhook`) } : {}),
  };
}

function webhook(v: unknown, path: string): WebhookConfig {
  if (!isObj(v)) fail(path, 'must be an object: { "url": URL, "secretEnv": VARIABLE }');
  only(v, path, ['url', 'secretEnv', 'batchSize']);
  const url = str(v, 'url', path)!;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`${path}.url`, `"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    fail(`${path}.url`, 'must be an http:// or https:// URL');
  const secretEnv = str(v, 'secretEnv', path)!;
  if (!ENV_NAME.test(secretEnv))
    fail(`${path}.secretEnv`, `"${secretEnv}" is not an environment variable name`);
  const { batchSize } = wholeNumbers({ batchSize: v.batchSize }, path, ['batchSize']);
  if (batchSize !== undefined && batchSize > 10_000) fail(`${path}.batchSize`, 'must be at most 10000');
  return { url, secretEnv, ...(batchSize !== undefined ? { batchSize } : {}) };
}

function wholeNumbers(v: unknown, path: string, fields: readonly string[]): Record<string, number> {
  if (!isObj(v)) fail(path, 'must be an object');
  only(v, path, fields);
  const out: Record<string, number> = {};
  for (const f of fields) {
    const n = v[f];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
      fail(`${path}.${f}`, 'must be a whole number above 0');
    out[f] = n;
  }
  return out;
}

function retry(v: unknown, path: string): RetryConfig {
  const r: RetryConfig = wholeNumbers(v, path, RETRY_CONFIG_FIELDS);
  if (r.baseDelayMs !== undefined && r.maxDelayMs !== undefined && r.baseDelayMs > r.maxDelayMs)
    fail(`${path}.baseDelayMs`, `${r.baseDelayMs} is above maxDelayMs (${r.maxDelayMs})`);
  if (r.maxAgeMs !== undefined && r.maxAgeMs < 60_000)
    fail(
      `${path}.maxAgeMs`,
      `${r.maxAgeMs} ms is under a minute: an outage that short would lose notifications`,
    );
  return r;
}

function deadLetters(v: unknown, path: string): DeadLetterConfig {
  return wholeNumbers(v, path, ['maxEntries', 'maxAgeMs']);
}

/** Validate a parsed config object. Relative paths resolve against `baseDir`. */
export function parseFleetConfig(raw: unknown, baseDir = process.cwd()): FleetConfig {
  if (!isObj(raw)) fail('config', 'must be a JSON object with an "apps" array');
  only(raw, 'config', ['apps', 'apiKeys', '$schema']);
  if (!Array.isArray(raw.apps) || raw.apps.length === 0) fail('apps', 'must list at least one app');
  const apps = raw.apps.map((a, i) => app(a, `apps[${i}]`, baseDir));
  const names = new Set<string>();
  const owners = new Map<string, string>();
  apps.forEach((a, i) => {
    if (names.has(a.name)) fail(`apps[${i}].name`, `"${a.name}" is used by two apps`);
    names.add(a.name);
    a.topics.forEach((t, j) => {
      const owner = owners.get(t);
      if (owner) fail(`apps[${i}].topics[${j}]`, `"${t}" already belongs to app "${owner}"`);
      owners.set(t, a.name);
    });
  });
  if (raw.apiKeys !== undefined && !Array.isArray(raw.apiKeys))
    fail('apiKeys', 'must be a list of { "id", "sha256", "apps" }');
  const apiKeys = (raw.apiKeys ?? []).map((k: unknown, i: number) =>
    parseApiKey(k, `apiKeys[${i}]`, [...names]),
  );
  checkApiKeysUnique(apiKeys);
  return { apps, ...(raw.apiKeys !== undefined ? { apiKeys } : {}) };
}

/** Read and validate a config file; errors start with the file name. */
export function loadFleetConfig(file: string): FleetConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(
      file,
      `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(file, `is not valid JSON (${(err as Error).message})`);
  }
  try {
    return parseFleetConfig(raw, dirname(resolve(file)));
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(`${file}: ${err.field}`, err.problem);
    throw err;
  }
}
