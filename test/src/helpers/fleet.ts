/**
 * A whole fleet for one test file: its own redis-server on a free port, the simulator over TLS with a
 * generated CA and provider key, one worker (in-process) and a producer. Dispose with `await using`.
 */
import type { ResolvedApp } from '@pushfleet/config';
import { createProducer, type Producer, routesFor } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import {
  createProviderKey,
  type ProviderKey,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '@pushfleet/simulator';
import { type FleetWorker, type StartFleetWorkerOptions, startFleetWorker } from '@pushfleet/worker';

export const TOPIC = 'com.example.e2e';

export interface TestFleet extends AsyncDisposable {
  readonly redis: RedisServer;
  readonly sim: Simulator;
  readonly worker: FleetWorker;
  readonly producer: Producer;
  /** The default (first) app's name. */
  readonly app: string;
  readonly key: ProviderKey;
  close(): Promise<void>;
}

export interface TestFleetOptions {
  app?: string;
  /** Extra simulator options (keys and topics default to one provider key and TOPIC). */
  simulator?: SimulatorOptions;
  /** The worker's apps; by default one token-auth app for TOPIC. */
  apps?: (sim: Simulator, key: ProviderKey) => ResolvedApp[];
  /** Extra worker options (e.g. a short credsRetryDelayMs). */
  worker?: StartFleetWorkerOptions;
  /** The worker's PUSHFLEET_MAX_IN_FLIGHT. @defaultValue the worker's default */
  maxInFlight?: number;
}

let counter = 0;

export async function startTestFleet(options: TestFleetOptions = {}): Promise<TestFleet> {
  const redis = await startRedisServer();
  const key = createProviderKey();
  const sim = await startSimulator({
    keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
    topics: [TOPIC],
    ...options.simulator,
  });
  const apps = options.apps?.(sim, key) ?? [
    {
      name: options.app ?? `e2e${++counter}`,
      topics: [TOPIC],
      transport: 'http2',
      url: sim.url,
      apnsEnvironment: 'sandbox',
      ca: sim.ca,
      auth: { kind: 'token', keyPem: key.privateKeyPem, keyId: key.keyId, teamId: key.teamId },
    },
  ];
  const worker = await startFleetWorker(
    {
      redisUrl: redis.url,
      apps,
      metricsHost: '127.0.0.1',
      metricsPort: 0,
      concurrency: 64,
      legacyConcurrency: 1024,
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      channelManagementUrl: sim.managementUrl,
    },
    { processMetrics: false, ...options.worker },
  );
  const producer = createProducer({
    redis: redis.url,
    routes: routesFor(apps),
    jobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 50 } },
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await producer.close();
      await worker.close();
      await sim.close();
      await redis.close();
    })());
  return { redis, sim, worker, producer, app: apps[0]!.name, key, close, [Symbol.asyncDispose]: close };
}
