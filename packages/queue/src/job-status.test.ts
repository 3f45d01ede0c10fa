/**
 * A completed job's status read: the stored exceptions as they are, every other notification rebuilt from its
 * final record; a job completed by an older worker (every notification in its return value) reads as stored.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './__fixtures__/redis-per-file.js';
import {
  type CompletedPushJob,
  completedPushJob,
  PUSH_JOB_NAME,
  type PushJobData,
  type PushJobResult,
  packJobData,
} from './job.js';
import { getPushJobStatus } from './job-status.js';
import { recordFinalOutcomes } from './notification-status.js';
import { appQueue } from './queue-keys.js';

let redis: Redis;
redisPerFile((_, r) => {
  redis = r;
});

const id = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const token = (i: number) => i.toString(16).padStart(64, '0');
const record = (i: number) => ({
  id: id(i),
  token: token(i),
  topic: 'com.example.app',
  pushType: 'alert' as const,
  payload: '{"aps":{}}',
});

/** Run one job of `app` through a Worker whose processor answers `value`; resolves the finished job's status. */
async function complete(app: string, jobId: string, data: PushJobData, value: unknown) {
  const { name, prefix } = appQueue(app);
  const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
  const worker = new Worker(name, async () => value, { connection: redis, prefix });
  const done = new Promise((resolve) => worker.once('completed', resolve));
  await queue.add(PUSH_JOB_NAME, data, { jobId });
  await done;
  await worker.close();
  try {
    return await getPushJobStatus(queue, jobId);
  } finally {
    await queue.close();
  }
}

describe('getPushJobStatus of a completed job', () => {
  it('rebuilds the first-try deliveries from their final records, in job order, beside the stored exceptions', async () => {
    const at = Date.now() - 5000;
    const data = packJobData('js1', at, 'job-1', [record(1), record(2), record(3)]);
    await recordFinalOutcomes(redis, 'js1', [
      [
        id(1),
        { outcome: 'delivered', status: 200, at: at + 10, attempts: 1, jobId: 'job-1', uniqueId: 'u-1' },
      ],
      [id(3), { outcome: 'delivered', status: 200, at: at + 30, attempts: 1, jobId: 'job-1' }],
    ]);
    const rejected = {
      id: id(2),
      token: token(2),
      final: true,
      outcome: 'rejected' as const,
      status: 400,
      reason: 'BadTopic',
      attempts: [{ at: at + 20, outcome: 'rejected' as const, status: 400, reason: 'BadTopic' }],
    };
    const stored: CompletedPushJob = { app: 'js1', delivered: 2, failed: 1, exceptions: [rejected] };
    const status = await complete('js1', 'job-1', data, stored);
    expect(status?.state).toBe('completed');
    expect(status?.result).toEqual({
      app: 'js1',
      delivered: 2,
      failed: 1,
      notifications: [
        {
          id: id(1),
          token: token(1),
          final: true,
          outcome: 'delivered',
          status: 200,
          uniqueId: 'u-1',
          attempts: [{ at: at + 10, outcome: 'delivered', status: 200 }],
        },
        rejected,
        {
          id: id(3),
          token: token(3),
          final: true,
          outcome: 'delivered',
          status: 200,
          attempts: [{ at: at + 30, outcome: 'delivered', status: 200 }],
        },
      ],
    });
  });

  it('stores only what was not delivered at the first try, with the counts (completedPushJob)', () => {
    const delivered = {
      final: true,
      outcome: 'delivered' as const,
      status: 200,
      attempts: [{ at: 1, outcome: 'delivered' as const, status: 200 }],
    };
    const retried = {
      ...delivered,
      attempts: [{ at: 0, outcome: 'retry' as const, status: 503 }, delivered.attempts[0]!],
    };
    const dead = {
      final: true,
      outcome: 'token-invalid' as const,
      status: 410,
      reason: 'Unregistered',
      attempts: [{ at: 2, outcome: 'token-invalid' as const, status: 410, reason: 'Unregistered' }],
    };
    const notifications = [1, 2, 3, 4].map((k) => ({ id: id(k), token: token(k) }));
    // States by place in the job; the fourth was never tried.
    expect(completedPushJob('a', notifications, [delivered, retried, dead, undefined])).toEqual({
      app: 'a',
      delivered: 2,
      failed: 1,
      exceptions: [
        { id: id(2), token: token(2), ...retried },
        { id: id(3), token: token(3), ...dead },
        { id: id(4), token: token(4), final: false, attempts: [] },
      ],
    });
  });

  it('past the final records’ retention, a first-try delivery reads as delivered at the job’s end', async () => {
    const status = await complete('js2', 'job-2', packJobData('js2', Date.now(), 'job-2', [record(4)]), {
      app: 'js2',
      delivered: 1,
      failed: 0,
      exceptions: [],
    } satisfies CompletedPushJob);
    const n = status?.result?.notifications[0];
    expect(n).toMatchObject({ id: id(4), final: true, outcome: 'delivered', status: 200 });
    expect(n?.attempts[0]?.at).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reads a job completed by an older worker (every notification in its return value) as stored', async () => {
    const old: PushJobResult = {
      app: 'js3',
      delivered: 1,
      failed: 0,
      notifications: [
        {
          id: id(5),
          token: token(5),
          final: true,
          outcome: 'delivered',
          status: 200,
          attempts: [{ at: 7, outcome: 'delivered', status: 200 }],
        },
      ],
    };
    const status = await complete('js3', 'job-3', packJobData('js3', Date.now(), 'job-3', [record(5)]), old);
    expect(status?.result).toEqual(old);
  });
});
