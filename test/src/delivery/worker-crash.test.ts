/**
 * A worker process SIGKILLed in the middle of 20,000 notifications: a second worker picks up its jobs within
 * seconds (BullMQ's stall check with the fleet's lock settings), nothing is lost, and every duplicate the
 * simulator saw was counted by the second worker's resends metric.
 */
import { appQueue, createProducer, DEFAULT_JOB_SIZE } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { createProviderKey, startSimulator } from '@pushfleet/simulator';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  metricSum,
  startWorkerProcess,
  stopWorkerProcess,
  type WorkerProcess,
  writeAppFiles,
} from '../helpers/worker-process.js';

const TOPIC = 'com.example.crash';
const APP = 'crash';
/** Jobs in flight per worker; with sendMany's jobs of DEFAULT_JOB_SIZE the in-flight window is that many times it. */
const CONCURRENCY = 8;
const WINDOW = CONCURRENCY * DEFAULT_JOB_SIZE;
const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'d4'.repeat(28)}`;

describe('a worker killed mid-run', () => {
  it('SIGKILL while 20,000 are sent: the other worker finishes, 0 lost, duplicates within the in-flight window and counted', async () => {
    await using redis = await startRedisServer();
    const key = createProviderKey();
    await using sim = await startSimulator({
      keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
      topics: [TOPIC],
      faults: { latencyMs: 20 }, // keep a full window in flight when the kill comes
    });
    const files = writeAppFiles(sim, key);
    const workers: WorkerProcess[] = [];
    const producer = createProducer({ redis: redis.url, app: APP });
    try {
      const start = () =>
        startWorkerProcess({
          redisUrl: redis.url,
          app: APP,
          sim,
          key,
          files,
          env: { PUSHFLEET_CONCURRENCY: String(CONCURRENCY) },
        });
      workers.push(await start());
      const ids: string[] = [];
      for (let i = 0; i < 20_000; i += 2000) {
        const batch = Array.from({ length: 2000 }, (_, k) => ({
          token: tokenOf(i + k),
          topic: TOPIC,
          payload: { aps: { alert: `#${i + k}` } },
        }));
        ids.push(...(await producer.sendMany(batch)).ids);
      }
      await sim.recorder.waitFor(3000, { timeoutMs: 60_000 });
      // The second worker is up before the first dies, as in a fleet: recovery is BullMQ's stall check alone.
      workers.push(await start());
      workers[0]!.child.kill('SIGKILL');
      const killedAt = Date.now();
      const acceptedAtKill = sim.recorder.counters.accepted;

      // Done when the queue has nothing left to run (completed jobs are trimmed, so count what remains).
      const { name, prefix } = appQueue(APP);
      const queue = new Queue(name, {
        connection: new Redis(redis.url, { maxRetriesPerRequest: null }),
        prefix,
      });
      for (let i = 0; i < 600; i++) {
        const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        if (Object.values(c).every((n) => n === 0)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await queue.close();

      const times = new Map<string, number>();
      const secondArrival: number[] = [];
      for (const r of sim.recorder.accepted) {
        const n = (times.get(r.apnsId) ?? 0) + 1;
        times.set(r.apnsId, n);
        if (n === 2) secondArrival.push(r.receivedAt);
      }
      const lost = ids.filter((id) => !times.has(id));
      expect(lost).toEqual([]);
      const dupsSeen = [...times.values()].reduce((s, n) => s + n - 1, 0);
      expect(dupsSeen).toBeLessThanOrEqual(WINDOW);
      const counted = await metricSum(workers[1]!.metricsUrl, 'pushfleet_resends_total', 'cause="stall"');
      expect(dupsSeen).toBeLessThanOrEqual(counted);
      expect(counted).toBeLessThanOrEqual(WINDOW);
      expect(await metricSum(workers[1]!.metricsUrl, 'pushfleet_stalled_jobs_total')).toBeGreaterThan(0);
      // Recovery: the stall check finds the dead worker's jobs within lockDuration + stalledInterval (8 s), so
      // the first resend arrives by then (4 s of slack for a loaded CI machine; BullMQ's default lock alone is
      // 30 s); the last follows within 20 s.
      expect(acceptedAtKill).toBeLessThan(20_000);
      if (secondArrival.length > 0) {
        expect(Math.min(...secondArrival) - killedAt).toBeLessThan(12_000);
        expect(Math.max(...secondArrival) - killedAt).toBeLessThan(20_000);
      }
    } finally {
      await producer.close();
      for (const w of workers) await stopWorkerProcess(w);
    }
  }, 180_000);
});
