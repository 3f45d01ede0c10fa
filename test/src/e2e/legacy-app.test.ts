/**
 * A legacy-transport app in the worker: SDK -> Redis -> worker -> LegacyClient -> the simulator's binary
 * gateway over mutual TLS; an invalid-token error response and a feedback-service read both land in the
 * dead-token registry through the one entry point, with their sources.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetConfig } from '@pushfleet/config';
import {
  createProducer,
  getInvalidToken,
  getPushJobStatus,
  type Producer,
  routesFor,
  waitForJobs,
} from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { createApnsClientCertificate, type Simulator, startSimulator } from '@pushfleet/simulator';
import {
  type FleetWorker,
  LEGACY_ONLY_HEAP_FLAGS,
  LEGACY_ONLY_MAX_HELD,
  loadWorkerConfig,
  startFleetWorker,
} from '@pushfleet/worker';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkWorkerMain, stopWorkerProcess } from '../helpers/worker-process.js';

const TOPIC = 'com.example.legacy';
const dir = mkdtempSync(join(tmpdir(), 'pushfleet-legacy-app-'));
let redisServer: RedisServer;
let redis: Redis;
let sim: Simulator;
let worker: FleetWorker;
let producer: Producer;
let env: Record<string, string>;

beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = new Redis(redisServer.url);
  sim = await startSimulator({ legacyPort: 0, feedbackPort: 0 });
  const cert = createApnsClientCertificate(sim.credentials.ca!, {
    bundleId: TOPIC,
    teamId: 'LEGACYTM01',
    environments: ['development'],
    passphrase: 'legacy-pass',
  });
  writeFileSync(join(dir, 'ca.pem'), sim.ca);
  writeFileSync(join(dir, 'legacy.p12'), cert.p12);
  const file = join(dir, 'fleet.json');
  writeFileSync(
    file,
    JSON.stringify({
      apps: [
        {
          name: 'legacy',
          topics: [TOPIC],
          transport: 'legacy',
          environment: 'simulator',
          credentials: { type: 'certificate', certificate: 'legacy.p12', passphraseEnv: 'LEGACY_PASS' },
        },
      ],
    }),
  );
  env = {
    REDIS_URL: redisServer.url,
    PUSHFLEET_CONFIG: file,
    LEGACY_PASS: 'legacy-pass',
    PUSHFLEET_METRICS_PORT: '0',
    PUSHFLEET_SIMULATOR_LEGACY_URL: sim.legacyUrl!,
    PUSHFLEET_SIMULATOR_FEEDBACK_URL: `tls://127.0.0.1:${sim.feedbackPort}`,
    PUSHFLEET_SIMULATOR_CA_FILE: join(dir, 'ca.pem'),
  };
  worker = await startFleetWorker(loadWorkerConfig(env), { processMetrics: false });
  producer = createProducer({ redis: redisServer.url, routes: routesFor(loadFleetConfig(file).apps) });
});

afterAll(async () => {
  await producer?.close();
  await worker?.close();
  await sim?.close();
  redis?.disconnect();
  await redisServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('transport: legacy', () => {
  it('is connected to the gateway before it takes a job (its capacity known, not 0)', async () => {
    const opened = (await worker.metrics.connectionsOpened.get()).values.find(
      (v) => v.labels.app === 'legacy',
    );
    expect(opened?.value).toBe(1); // nothing was sent yet
  });

  it('delivers through the binary gateway once the delivery window passes without an error', async () => {
    const token = '1a'.repeat(32);
    const { jobIds } = await producer.send({ token, topic: TOPIC, payload: { aps: { alert: 'binary' } } });
    const done = await waitForJobs(producer.queueFor('legacy'), jobIds, { timeoutMs: 8000 });
    expect(done.completed).toBe(1);
    const seen = sim.legacy!.recorder.accepted.filter((r) => r.token === token);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ topic: TOPIC, payload: '{"aps":{"alert":"binary"}}' });
  });

  it('turns an invalid-token error response into a failed job and a registry entry (source legacy)', async () => {
    const token = '2b'.repeat(32);
    sim.devices.markDead(token, { timestamp: Date.now() - 1000 });
    const { jobIds } = await producer.send({ token, topic: TOPIC, payload: { aps: { alert: 'dead' } } });
    const done = await waitForJobs(producer.queueFor('legacy'), jobIds, { timeoutMs: 8000 });
    expect(done.failed).toBe(1);
    const status = await getPushJobStatus(producer.queueFor('legacy'), jobIds[0]!);
    expect(status?.failedReason).toBe('InvalidToken');
    expect(status?.result?.notifications[0]).toMatchObject({
      outcome: 'token-invalid',
      reason: 'InvalidToken',
    });
    expect(await getInvalidToken(redis, 'legacy', token)).toMatchObject({
      reason: 'InvalidToken',
      source: 'legacy',
    });
  });

  it("reads the feedback service and records each tuple with Apple's time (source feedback)", async () => {
    const token = '3c'.repeat(32);
    const diedAt = 1_700_000_000_000;
    sim.devices.markDead(token, { timestamp: diedAt });
    expect(await worker.readFeedbackNow('legacy')).toBeGreaterThanOrEqual(1);
    expect(await getInvalidToken(redis, 'legacy', token)).toMatchObject({
      reason: 'Feedback',
      timestamp: diedAt,
      source: 'feedback',
    });
    // The list is cleared once read: a second read records nothing new.
    expect(await worker.readFeedbackNow('legacy')).toBe(0);
  });

  it('a worker process of legacy apps only tunes its heap and holds more (legacy-heap.ts)', async () => {
    const w = await forkWorkerMain(env);
    try {
      // The ready line is written before the message is sent; give the pipe a moment to deliver it.
      await new Promise((r) => setTimeout(r, 200));
      const ready = w
        .log()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg?: string; heap?: unknown })
        .find((l) => l.msg === 'worker ready');
      expect(ready?.heap).toEqual({ flags: LEGACY_ONLY_HEAP_FLAGS, maxHeld: LEGACY_ONLY_MAX_HELD });
    } finally {
      await stopWorkerProcess(w);
    }
  });
});
