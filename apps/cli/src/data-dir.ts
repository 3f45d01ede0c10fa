/**
 * Where the CLI keeps its state: Redis data, the local simulator's credentials, logs. Relative to where the
 * CLI runs (`npm start` runs it at the repository root); `pushfleet start --data-dir` moves it.
 */
import { join, resolve } from 'node:path';

export const DEFAULT_DATA_DIR = '.data';

/** The local simulator's CA, server certificate and provider key, under a data directory. */
export function simulatorDir(dataDir: string = DEFAULT_DATA_DIR): string {
  return resolve(dataDir, 'simulator');
}

/** The CA that clients of the local simulator trust (writeTestCredentials names it ca.pem). */
export function simulatorCaFile(dataDir: string = DEFAULT_DATA_DIR): string {
  return join(simulatorDir(dataDir), 'ca.pem');
}

/** Where a running `pushfleet start` says what it runs (Redis URL, API URL and key), for the other commands. */
export function runningFile(dataDir: string = DEFAULT_DATA_DIR): string {
  return join(resolve(dataDir), 'running.json');
}

/** The local API key `pushfleet start` generates once and reuses (mode 0600). */
export function localApiKeyFile(dataDir: string = DEFAULT_DATA_DIR): string {
  return join(resolve(dataDir), 'api-key');
}
