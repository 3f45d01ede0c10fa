/**
 * The fleet's configuration file: which apps exist, the topics each one owns, how each reaches APNs and
 * with which credentials. One JSON file (documented in docs/configuration.md); secrets are never in it,
 * only references: a file path or the name of an environment variable.
 *
 * This module parses and validates the file (errors name the JSON path of the bad field). Loading the
 * credentials themselves is the worker's job (node-forge and node:crypto, in packages/apns).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DEFAULT_SIMULATOR_ENDPOINT, type SimulatorEndpoint } from '@pushfleet/apns';
import { ValidationError } from './errors.js';
import { APP_NAME_PATTERN } from './queue-keys.js';

export const TRANSPORTS = ['http2', 'legacy'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const ENVIRONMENTS = ['production', 'sandbox', 'simulator'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** A secret's location: a file, or an environment variable holding the value itself. */
export type SecretRef = { readonly file: string } | { readonly env: string };

export interface TokenCredentialsConfig {
  readonly type: 'token';
  /** The .p8 signing key. */
  readonly key: SecretRef;
  readonly keyId: string;
  readonly teamId: string;
}

export interface CertificateCredentialsConfig {
  readonly type: 'certificate';
  /** A .p12/.pfx, or a PEM/DER certificate (with `key` when it does not hold the key). */
  readonly certificate: SecretRef;
  readonly key?: SecretRef;
  /** Environment variable holding the .p12 / key pass phrase. */
  readonly passphraseEnv?: string;
}

export type CredentialsConfig = TokenCredentialsConfig | CertificateCredentialsConfig;

export interface AppEntry {
  readonly name: string;
  /** Every apns-topic this app sends to; a notification is routed to the app owning its topic. */
  readonly topics: readonly string[];
  /** @defaultValue 'http2' */
  readonly transport: Transport;
  /** `production`, `sandbox`, `simulator`, or an explicit URL (https://host:port for HTTP/2, tls://host:port for legacy). */
  readonly environment: EnvironmentName | 'url';
  /** Explicit endpoint when environment is an URL. */
  readonly url?: string;
  /** Extra CA (PEM file) to trust, e.g. the simulator's. */
  readonly caFile?: string;
  readonly credentials: CredentialsConfig;
}

export interface FleetConfig {
  readonly apps: readonly AppEntry[];
}

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

function secretRef(v: unknown, path: string, baseDir: string): SecretRef {
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
    return { type: 'token', key: secretRef(v.key, `${path}.key`, baseDir), keyId, teamId };
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
      certificate: secretRef(v.certificate, `${path}.certificate`, baseDir),
      ...(v.key !== undefined ? { key: secretRef(v.key, `${path}.key`, baseDir) } : {}),
      ...(passphraseEnv !== undefined ? { passphraseEnv } : {}),
    };
  }
  return fail(`${path}.type`, `must be "token" or "certificate"; got ${JSON.stringify(v.type)}`);
}

function app(v: unknown, path: string, baseDir: string): AppEntry {
  if (!isObj(v)) fail(path, 'must be an object');
  only(v, path, ['name', 'topics', 'transport', 'environment', 'caFile', 'credentials']);
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
  let environment: AppEntry['environment'];
  let url: string | undefined;
  if ((ENVIRONMENTS as readonly string[]).includes(env)) environment = env as EnvironmentName;
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
  };
}

/** Validate a parsed config object. Relative paths resolve against `baseDir`. */
export function parseFleetConfig(raw: unknown, baseDir = process.cwd()): FleetConfig {
  if (!isObj(raw)) fail('config', 'must be a JSON object with an "apps" array');
  only(raw, 'config', ['apps', '$schema']);
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
  return { apps };
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

type Env = Readonly<Record<string, string | undefined>>;

function requiredEnv(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ValidationError(name, 'is required');
  return v.trim();
}

/**
 * The single app described by environment variables alone (the quick path without a config file):
 * APNS_KEY_FILE + APNS_KEY_ID + APNS_TEAM_ID (token) or APNS_P12_FILE [+ APNS_P12_PASSPHRASE] (certificate);
 * APNS_URL or APNS_ENV (production | sandbox, default sandbox); APNS_CA_FILE; APNS_TOPICS (comma-separated);
 * PUSHFLEET_APP (default "default").
 */
export function appFromEnv(env: Env): AppEntry {
  const name = env.PUSHFLEET_APP || 'default';
  if (!APP_NAME_PATTERN.test(name))
    throw new ValidationError('PUSHFLEET_APP', `"${name}" must be 1-63 chars of a-z, 0-9, . _ -`);
  let environment: AppEntry['environment'] = 'sandbox';
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

/** Where `environment: "simulator"` points: PUSHFLEET_SIMULATOR_URL, _LEGACY_URL, _FEEDBACK_URL, _CA_FILE, else `pushfleet simulator`'s defaults. */
export function simulatorEndpointFromEnv(env: Env): SimulatorEndpoint {
  const d = DEFAULT_SIMULATOR_ENDPOINT;
  return {
    url: env.PUSHFLEET_SIMULATOR_URL || d.url,
    legacyUrl: env.PUSHFLEET_SIMULATOR_LEGACY_URL || d.legacyUrl,
    feedbackUrl: env.PUSHFLEET_SIMULATOR_FEEDBACK_URL || d.feedbackUrl,
    caFile: env.PUSHFLEET_SIMULATOR_CA_FILE || d.caFile,
  };
}
