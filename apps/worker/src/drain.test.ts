import { appQueue, createProducer } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DRAIN_DEADLINE_MS, drainWorker } from './drain.js';

describe('drainWorker', () => {
  it('waits for a job that finishes in time, and lets go of one that does not at the deadline', async () => {
    await using server = await startRedisServer();
    const producer = createProducer({ redis: server.url, app: 'drain' });
    const { name, prefix } = appQueue('drain');
    const run = async (jobMs: number, deadlineMs: number) => {
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      let finished = false;
      const connection = new Redis(server.url, { maxRetriesPerRequest: null });
      const worker = new Worker(
        name,
        async () => {
          started();
          await new Promise((r) => setTimeout(r, jobMs));
          finished = true;
        },
        { connection, prefix },
      );
      await producer.send({ token: 'ab'.repeat(32), topic: 'com.example.app', payload: { aps: {} } });
      await running;
      const t0 = Date.now();
      const drained = await drainWorker(worker, deadlineMs);
      const elapsed = Date.now() - t0;
      connection.disconnect();
      return { drained, finished, elapsed };
    };
    expect(await run(200, 2_000)).toMatchObject({ drained: true, finished: true });
    const late = await run(5_000, 300);
    expect(late).toMatchObject({ drained: false, finished: false });
    expect(late.elapsed).toBeLessThan(2_000);
    await producer.close();
  });

  it('has a deadline an orchestrator can outwait (Kubernetes gives 30 s by default)', () => {
    expect(DRAIN_DEADLINE_MS).toBeGreaterThan(5_000);
    expect(DRAIN_DEADLINE_MS).toBeLessThan(30_000);
  });
});
