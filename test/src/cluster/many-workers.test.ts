/**
 * Many worker processes on one Redis, coordinated by nothing but BullMQ and the shared provider token:
 * `pushfleet worker` processes share 16,000 notifications: three start together on the first half, a fourth
 * joins (a scale-up) before the second half is enqueued, then one of the first leaves (SIGTERM, a scale-down)
 * with work still queued; all four delivered a share, nothing is lost, and the simulator accepted exactly one
 * JWT from all of them.
 */
import { createProducer, outcomeCounts } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { createProviderKey, startSimulator } from '@pushfleet/simulator';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  metricSum,
  startWorkerProcess,
  stopWorkerProcess,
  type WorkerProcess,
  writeAppFiles,
} from '../helpers/worker-process.js';

const TOPIC = 'com.example.many';
const APP = 'many';
const TOTAL = 16_000;
const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'e5'.repeat(28)}`;

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const deliveredBy = (w: WorkerProcess) =>
  metricSum(w.metricsUrl, 'pushfleet_notifications_total', 'outcome="delivered"');

describe('many workers, one Redis', () => {
  it('4 processes share the load with one JWT; one joining and one leaving mid-run lose nothing', async () => {
    await using redis = await startRedisServer();
    const key = createProviderKey();
    await using sim = await startSimulator({
      keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
      topics: [TOPIC],
      faults: { latencyMs: 5 }, // each worker's in-flight window fills, so no one worker takes it all
    });
    const files = writeAppFiles(sim, key);
    const start = () =>
      startWorkerProcess({
        redisUrl: redis.url,
        app: APP,
        sim,
        key,
        files,
        env: { PUSHFLEET_CONCURRENCY: '4' },
      });
    const workers: WorkerProcess[] = [];
    // Jobs of 100, not the default 1,000: 160 jobs to share rather than 16, of which three workers could take
    // every one before the joiner asked (CI saw a worker deliver none).
    const producer = createProducer({ redis: redis.url, app: APP, jobSize: 100 });
    const reader = new Redis(redis.url);
    try {
      // Three at once, as a deployment's replicas start: each races the others for the provider token.
      workers.push(...(await Promise.all([start(), start(), start()])));
      const ids: string[] = [];
      const enqueue = async (from: number, to: number) => {
        for (let i = from; i < to; i += 2000) {
          const batch = Array.from({ length: 2000 }, (_, k) => ({
            token: tokenOf(i + k),
            topic: TOPIC,
            payload: { aps: { alert: `#${i + k}` } },
          }));
          ids.push(...(await producer.sendMany(batch)).ids);
        }
      };
      await enqueue(0, TOTAL / 2);
      await waitUntil('an eighth delivered', () => sim.recorder.counters.accepted >= TOTAL / 8);
      // A fourth joins, and the second half is enqueued once it is up: it has work to share.
      workers.push(await start());
      await enqueue(TOTAL / 2, (3 * TOTAL) / 4);
      // One of the first three leaves while work is queued (SIGTERM drains its jobs in flight); the last
      // quarter is enqueued only after it left, so the run goes on without it whatever the machine's speed.
      const leaving = workers[0]!;
      await waitUntil('the leaver to have delivered some', async () => (await deliveredBy(leaving)) > 0);
      const leaverDelivered = await deliveredBy(leaving);
      await stopWorkerProcess(leaving);
      const acceptedAtLeave = sim.recorder.counters.accepted;
      await enqueue((3 * TOTAL) / 4, TOTAL);

      await waitUntil(
        'every notification delivered',
        async () => ((await outcomeCounts(reader, APP)).delivered ?? 0) >= TOTAL,
      );
      const seen = new Set(sim.recorder.accepted.map((r) => r.apnsId));
      expect(ids.filter((id) => !seen.has(id))).toEqual([]);
      expect(Object.keys(await outcomeCounts(reader, APP))).toEqual(['delivered']);
      // The others carried the run after the leave: at least the last quarter was delivered without it.
      expect(sim.recorder.counters.accepted - acceptedAtLeave).toBeGreaterThanOrEqual(TOTAL / 4);

      // The load was shared: every process delivered some, the joiner included (the leaver's count is from
      // before its drain, which finished the jobs it held).
      const counts = [leaverDelivered];
      for (const w of workers.slice(1)) counts.push(await deliveredBy(w));
      expect(counts).toHaveLength(4);
      for (const n of counts) expect(n).toBeGreaterThan(0);
      // One provider token for the team and key, whichever of the four processes minted it.
      expect(sim.recorder.counters.providerTokens).toBe(1);
    } finally {
      await producer.close();
      reader.disconnect();
      for (const w of workers) await stopWorkerProcess(w);
    }
  }, 120_000);
});
