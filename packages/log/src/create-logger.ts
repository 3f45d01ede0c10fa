/**
 * The logger of every pushfleet process: pino, one JSON object per line,
 *
 *   {"level":"warn","time":"2026-12-01T10:00:00.000Z","name":"worker","pid":7,"hostname":"w1",
 *    "app":"demo","notification":"…","msg":"notification dead-lettered"}
 *
 * Level names, not numbers; ISO times. Fields that hold secrets are censored by path wherever a caller
 * puts them (top level, one or two objects down): a key, passphrase, password, JWT, authorization header or
 * device token never reaches a log line even when a whole options object is logged by mistake.
 */
import { hostname } from 'node:os';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** @defaultValue of `LoggerOptions.level` */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** Field names whose values are secrets (or personal data, for device tokens). */
export const REDACTED_KEYS = [
  'key',
  'keyPem',
  'privateKey',
  'privateKeyPem',
  'signingKey',
  'passphrase',
  'password',
  'secret',
  'apiKey',
  'authorization',
  'jwt',
  'providerToken',
  'token',
  'p12',
  'pfx',
] as const;

export const REDACTED = '[redacted]';

export interface LoggerOptions {
  /** The process: `worker`, `api`, `cli`. */
  readonly name: string;
  /** @defaultValue DEFAULT_LOG_LEVEL */
  readonly level?: LogLevel | undefined;
  /** Where lines go. @defaultValue stderr (synchronous, so a crash loses no line) */
  readonly destination?: DestinationStream | undefined;
  /** Fields on every line besides name, pid and hostname. */
  readonly base?: Record<string, unknown> | undefined;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Every path pino should censor: each key at the top level, one level down and two levels down. */
export function redactPaths(keys: readonly string[] = REDACTED_KEYS): string[] {
  return keys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? DEFAULT_LOG_LEVEL,
      base: { pid: process.pid, hostname: hostname(), ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
