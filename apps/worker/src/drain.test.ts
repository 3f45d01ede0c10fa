import { Writable } from 'node:stream';
import { createLogger } from '@pushfleet/log';
import { appQueue, createProducer } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  CLEANUP_DEADLINE_MS,
  DRAIN_DEADLINE_MS,
  drainWorker,
  SHUTDOWN_DEADLINE_MS,
  shutdownStep,
} from './drain.js';

function capturedLog() {
  const lines: { msg: string; step?: string; error?: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, log: createLogger({ name: 'worker', destination }) };
}

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
    expect(SHUTDOWN_DEADLINE_MS).toBeGreaterThan(DRAIN_DEADLINE_MS + CLEANUP_DEADLINE_MS);
  });
});

describe('shutdownStep', () => {
  it('goes on past a Redis that stops answering, naming the step, where the quit itself would hang', async () => {
    await using server = await startRedisServer();
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    await connection.ping();
    const { lines, log } = capturedLog();
    process.kill(server.pid, 'SIGSTOP'); // the TCP connection stays open, nothing answers
    try {
      const quitting = connection.quit();
      const t0 = Date.now();
      expect(await shutdownStep('redis', () => quitting, Date.now() + 500, log)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2_000);
      // Without the bound, the quit is still waiting on Redis.
      const still = await Promise.race([
        quitting.then(() => 'quit'),
        new Promise((r) => setTimeout(r, 300, 'waiting')),
      ]);
      expect(still).toBe('waiting');
      expect(lines.map((l) => [l.step, l.msg])).toEqual([
        ['redis', 'shutdown step did not finish in time; going on'],
      ]);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      connection.disconnect();
    }
  });

  it('resolves true for a step that finishes, and logs one that fails', async () => {
    const { lines, log } = capturedLog();
    expect(await shutdownStep('quick', async () => undefined, Date.now() + 1_000, log)).toBe(true);
    const failing = async () => {
      throw new Error('connection reset');
    };
    expect(await shutdownStep('webhooks', failing, Date.now() + 1_000, log)).toBe(false);
    expect(lines).toMatchObject([
      { step: 'webhooks', error: 'connection reset', msg: 'shutdown step failed; going on' },
    ]);
  });
});
