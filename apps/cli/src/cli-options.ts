/**
 * What every command shares: a usage error (the CLI prints the command's help and exits 2), number and
 * port flags checked with a message that says what to type instead, and where the fleet's Redis is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { redisUrlFromEnv } from '@pushfleet/config';
import { runningFile } from './data-dir.js';

/** A mistake on the command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function wholeNumber(
  flag: string,
  value: string | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      max === Number.MAX_SAFE_INTEGER
        ? `--${flag}: "${value}" is not a whole number${min > 0 ? ` of at least ${min}` : ''}`
        : `--${flag}: "${value}" is not a whole number from ${min} to ${max}`,
    );
  return n;
}

/** A TCP port flag: 0 (a free port) to 65535. */
export function portOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${flag}: "${value}" is not a port; give 1-65535, or 0 for a free one`);
  return n;
}

/** What a running `pushfleet start` wrote about itself (DATA_DIR/running.json). */
export interface RunningFleet {
  readonly redisUrl: string;
  readonly apiUrl: string;
  readonly apiKey?: string;
}

export function readRunningFleet(dataDir?: string): RunningFleet | undefined {
  const file = runningFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunningFleet;
  } catch {
    return undefined;
  }
}

/** --redis-url, else $REDIS_URL (or $REDIS_CLUSTER_NODES), else the Redis of a `pushfleet start` running here. */
export function redisUrlOf(flag: string | undefined, command: string): string {
  const url = flag ?? redisUrlFromEnv(process.env) ?? readRunningFleet()?.redisUrl;
  if (!url)
    throw new UsageError(
      `${command}: where is Redis? pass --redis-url URL or set REDIS_URL (\`npm start\` prints it, and commands run beside it find it)`,
    );
  return url;
}
