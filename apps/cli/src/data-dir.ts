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
