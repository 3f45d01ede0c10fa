#!/usr/bin/env node
/**
 * `node apps/worker/dist/main.js`: run one worker process from environment variables (see config.ts).
 * Drains on SIGINT/SIGTERM: in-flight jobs finish (or go back to the queue) before the process exits.
 */
import { resolve } from 'node:path';
import { localSimulatorEndpoint } from '@pushfleet/config';
import { createLogger, isLogLevel, type Logger } from '@pushfleet/log';
import { ValidationError } from '@pushfleet/queue';
import { loadWorkerConfig } from './config.js';
import { SHUTDOWN_DEADLINE_MS } from './drain.js';
import { startFleetWorker } from './fleet-worker.js';
import { applyHeapPlan, heapPlanFor } from './legacy-heap.js';

// Where `pushfleet simulator` and `pushfleet start` write the simulator's CA when run in the same directory.
const LOCAL_SIMULATOR_CA_FILE = resolve('.data/simulator/ca.pem');

// Until the configuration is read (and if reading it fails), log at its level when it is a valid one.
const envLevel = process.env.PUSHFLEET_LOG_LEVEL?.trim() ?? '';
let log: Logger = createLogger({ name: 'worker', level: isLogLevel(envLevel) ? envLevel : 'info' });

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env, {
    simulator: localSimulatorEndpoint(LOCAL_SIMULATOR_CA_FILE),
  });
  log = createLogger({ name: 'worker', level: config.logLevel });
  // A worker of legacy apps only holds more notifications, in a heap tuned for them (legacy-heap.ts).
  const heap = heapPlanFor(config.apps);
  if (heap) applyHeapPlan(heap);
  const fleet = await startFleetWorker(config, { log, ...(heap ? { maxHeld: heap.maxHeld } : {}) });
  log.info(
    {
      apps: config.apps.map((a) => ({ name: a.name, url: a.url })),
      metrics: fleet.metricsUrl,
      ...(heap ? { heap: { flags: heap.flags, maxHeld: heap.maxHeld } } : {}),
    },
    'worker ready',
  );
  process.send?.({ type: 'ready', metricsUrl: fleet.metricsUrl });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker draining');
    // close() bounds each of its steps; this is the backstop for anything it does not know about.
    setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    fleet.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ error: err.message }, 'drain failed');
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
  log.error({ error: msg }, 'worker failed to start');
  process.exit(1);
});
