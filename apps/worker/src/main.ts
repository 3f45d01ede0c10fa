#!/usr/bin/env node
/**
 * `node apps/worker/dist/main.js`: run one worker process from environment variables (see config.ts).
 * Drains on SIGINT/SIGTERM: in-flight jobs finish (or go back to the queue) before the process exits.
 */
import { resolve } from 'node:path';
import { localSimulatorEndpoint } from '@pushfleet/config';
import { ValidationError } from '@pushfleet/queue';
import { loadWorkerConfig } from './config.js';
import { startFleetWorker } from './fleet-worker.js';
import { log } from './log.js';

// Where `pushfleet simulator` and `pushfleet start` write the simulator's CA when run in the same directory.
const LOCAL_SIMULATOR_CA_FILE = resolve('.data/simulator/ca.pem');

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env, {
    simulator: localSimulatorEndpoint(LOCAL_SIMULATOR_CA_FILE),
  });
  const fleet = await startFleetWorker(config);
  log('info', 'worker ready', {
    apps: config.apps.map((a) => ({ name: a.name, url: a.url })),
    metrics: fleet.metricsUrl,
  });
  process.send?.({ type: 'ready', metricsUrl: fleet.metricsUrl });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'worker draining', { signal });
    fleet.close().then(
      () => process.exit(0),
      (err: Error) => {
        log('error', 'drain failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('disconnect', () => stop('parent exited'));
}

main().catch((err: unknown) => {
  const msg =
    err instanceof ValidationError
      ? `configuration: ${err.message}`
      : err instanceof Error
        ? err.message
        : String(err);
  log('error', 'worker failed to start', { error: msg });
  process.exit(1);
});
