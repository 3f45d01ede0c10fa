/**
 * A whole fleet for one test file: its own redis-server on a free port, the simulator over TLS with a
 * generated CA and provider key, one worker (in-process) and a producer. Dispose with `await using`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProducer, type Producer } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { createProviderKey, type Simulator, startSimulator } from '@pushfleet/simulator';
import { type FleetWorker, startFleetWorker } from '@pushfleet/worker';

export const TOPIC = 'com.example.e2e';

export interface TestFleet extends AsyncDisposable {
  readonly redis: RedisServer;
  readonly sim: Simulator;
  readonly worker: FleetWorker;
  readonly producer: Producer;
  readonly app: string;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestFleet(options: { app?: string } = {}): Promise<TestFleet> {
  const app = options.app ?? `e2e${++counter}`;
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-e2e-'));
  const redis = await startRedisServer();
  const key = createProviderKey();
  const sim = await startSimulator({
    keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
    topics: [TOPIC],
  });
  const keyFile = join(dir, `AuthKey_${key.keyId}.p8`);
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  const worker = await startFleetWorker(
    {
      redisUrl: redis.url,
      apps: [
        {
          name: app,
          transport: 'http2',
          url: sim.url,
          ca: sim.ca,
          auth: {
            kind: 'token',
            keyPem: key.privateKeyPem,
            keySource: keyFile,
            keyId: key.keyId,
            teamId: key.teamId,
          },
        },
      ],
      metricsHost: '127.0.0.1',
      metricsPort: 0,
      concurrency: 64,
    },
    { processMetrics: false },
  );
  const producer = createProducer({
    redis: redis.url,
    app,
    jobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 50 } },
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await producer.close();
      await worker.close();
      await sim.close();
      await redis.close();
      rmSync(dir, { recursive: true, force: true });
    })());
  return { redis, sim, worker, producer, app, close, [Symbol.asyncDispose]: close };
}
