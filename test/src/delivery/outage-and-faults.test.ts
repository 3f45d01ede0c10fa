/**
 * Delivery you can trust, end to end (SDK -> Redis -> worker -> simulator over TLS/HTTP2): an APNs outage
 * loses nothing, and under connection faults every notification is delivered and every possible duplicate
 * is counted. The production retry policy runs with its delays scaled down 200 times (a 10-minute outage is
 * 3 s here, the 5-minute cap 1.5 s).
 */

import { listDeadLetters, redriveDeadLetters, waitForJobs } from '@pushfleet/queue';
import { DEFAULT_RETRY_POLICY, type RetryPolicyOptions } from '@pushfleet/worker';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startTestFleet, TOPIC } from '../helpers/fleet.js';

const SCALE = 200;
const SCALED_POLICY: RetryPolicyOptions = {
  ...DEFAULT_RETRY_POLICY,
  baseDelayMs: DEFAULT_RETRY_POLICY.baseDelayMs / SCALE,
  maxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs / SCALE,
  floorMs: 1,
};
const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'c3'.repeat(28)}`;

async function counter(metricsUrl: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('delivery under trouble', () => {
  it('an outage of 10 (scaled) minutes, every connection refused: all 300 delivered after it, none lost', async () => {
    await using fleet = await startTestFleet({
      simulator: { faults: { refuseConnectionsMs: (10 * 60_000) / SCALE } },
      // The pool gives up on a request after 500 ms, so the outage reaches the retry policy.
      worker: { retryPolicy: SCALED_POLICY, sessions: { requestTimeoutMs: 500 } },
    });
    const batch = Array.from({ length: 300 }, (_, i) => ({
      token: tokenOf(i),
      topic: TOPIC,
      payload: { aps: { alert: `#${i}` } },
    }));
    const { jobIds, ids } = await fleet.producer.sendMany(batch);
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 60_000 });
    expect(done).toMatchObject({ completed: jobIds.length, failed: 0 });
    expect(fleet.sim.faults.counters.refusedConnections).toBeGreaterThan(0);
    const seen = new Set(fleet.sim.recorder.accepted.map((r) => r.apnsId));
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
    expect(await counter(fleet.worker.metricsUrl, 'pushfleet_retries_total')).toBeGreaterThan(0);
  }, 90_000);

  it('5% 503, 1% 429, GOAWAY every 1,000 streams and stream resets over 20,000: all delivered, duplicates counted', async () => {
    await using fleet = await startTestFleet({
      simulator: {
        faults: { seed: 11, rate503: 0.05, rate429: 0.01, goAwayAfterStreams: 1000, resetRate: 0.002 },
        record: 'all',
      },
      worker: { retryPolicy: SCALED_POLICY },
    });
    const total = 20_000;
    const jobIds: string[] = [];
    for (let i = 0; i < total; i += 2000) {
      const chunk = Array.from({ length: 2000 }, (_, k) => ({
        token: tokenOf(i + k),
        topic: TOPIC,
        payload: { aps: { alert: `#${i + k}` } },
      }));
      jobIds.push(...(await fleet.producer.sendMany(chunk)).jobIds);
    }
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 240_000 });
    expect(done).toMatchObject({ completed: jobIds.length, failed: 0 });
    const times = new Map<string, number>();
    for (const r of fleet.sim.recorder.accepted) times.set(r.apnsId, (times.get(r.apnsId) ?? 0) + 1);
    expect(times.size).toBe(total);
    const dupsSeen = [...times.values()].reduce((sum, n) => sum + n - 1, 0);
    const dupsCounted = await counter(fleet.worker.metricsUrl, 'pushfleet_resends_total');
    // Every duplicate Apple could see is counted; a counted re-send whose first copy never arrived is not one.
    expect(dupsSeen).toBeLessThanOrEqual(dupsCounted);
    expect(fleet.sim.faults.counters.resets).toBeGreaterThan(0);
    expect(fleet.sim.faults.counters.goAways).toBeGreaterThan(0);
  }, 300_000);

  it('exhausted retries land in the dead-letter list with their history; re-driven, they are delivered', async () => {
    await using fleet = await startTestFleet({
      simulator: { faults: { rate503: 1 } },
      worker: { retryPolicy: { ...SCALED_POLICY, maxAgeMs: 1_000 } },
    });
    const { ids, jobIds } = await fleet.producer.sendMany(
      Array.from({ length: 20 }, (_, i) => ({
        token: tokenOf(50_000 + i),
        topic: TOPIC,
        payload: { aps: { alert: `${i}` } },
      })),
    );
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ failed: 1 }); // one job of 20, nothing delivered: it ends failed, all dead-lettered
    const redis = new Redis(fleet.redis.url, { maxRetriesPerRequest: null });
    try {
      const { total, entries } = await listDeadLetters(redis, fleet.app);
      expect(total).toBe(20);
      expect(entries[0]?.attempts.length).toBeGreaterThan(1);
      expect(entries.every((e) => e.attempts.every((a) => a.status === 503))).toBe(true);

      fleet.sim.faults.set({ rate503: 0 });
      const before = fleet.sim.recorder.counters.accepted;
      const { redriven } = await redriveDeadLetters(redis, fleet.app);
      expect(redriven.sort()).toEqual([...ids].sort());
      await fleet.sim.recorder.waitFor(before + 20, { timeoutMs: 30_000 });
      const delivered = new Set(fleet.sim.recorder.accepted.map((r) => r.apnsId));
      expect(ids.filter((id) => !delivered.has(id))).toEqual([]);
      expect((await listDeadLetters(redis, fleet.app)).total).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
