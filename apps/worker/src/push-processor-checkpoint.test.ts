/**
 * A run that dies after a checkpoint saved some verdicts (a SIGKILL, a drain deadline, a frozen worker):
 * the next run sends only what had none, and every notification still gets its final record and is
 * counted once, including those whose verdict only the dead run's checkpoint saved.
 */
import { createFleetMetrics } from '@pushfleet/metrics';
import {
  type CompletedPushJob,
  findNotification,
  JOB_RECORD_VERSION,
  outcomeCounts,
  PUSH_JOB_NAME,
  type PushJobData,
  QUEUE_NAME,
  queueKeys,
} from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { notification, ScriptedSender, token } from './__fixtures__/processor-harness.js';
import { createPushProcessor, type PushSender } from './push-processor.js';

describe('push processor: a run that dies after a checkpoint', () => {
  it('the next run records the checkpointed verdicts too: every notification ends once, with its final record', async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const app = 'checkpointed';
    const queue = new Queue<PushJobData, CompletedPushJob>(QUEUE_NAME, {
      connection: redis,
      prefix: queueKeys.bullPrefix(app),
    });
    try {
      const [a, b, c] = [token(0xa1), token(0xb2), token(0xc3)].map(notification);
      const added = await queue.add(PUSH_JOB_NAME, {
        v: JOB_RECORD_VERSION,
        app,
        enqueuedAt: Date.now(),
        notifications: [a!, b!, c!],
      });
      const jobId = String(added.id);

      // Run 1 gets answers for a and b, none for c: it hangs until it is given up for dead.
      const answered = new ScriptedSender({ [a!.token]: [{ status: 200 }], [b!.token]: [{ status: 200 }] });
      const hanging: PushSender = {
        submit: (r, receiver) => {
          if (r.token !== c!.token) answered.submit(r, receiver); // c is never answered
        },
      };
      const processor = (sender: PushSender) =>
        createPushProcessor({
          app,
          transport: 'http2',
          sender,
          redis,
          metrics: createFleetMetrics(new Registry()),
          checkpointIntervalMs: 20,
        });
      void processor(hanging)((await queue.getJob(jobId))!);
      await vi.waitFor(async () => {
        const state = (await queue.getJob(jobId))?.data.state ?? {};
        expect([a!.id, b!.id].every((id) => state[id]?.final)).toBe(true);
      });

      // Run 2, on another worker, from what run 1 saved.
      const rest = new ScriptedSender({ [c!.token]: [{ status: 200 }] });
      const result = await processor(rest)((await queue.getJob(jobId))!);
      expect(result.delivered).toBe(3);
      expect(rest.sentTo()).toEqual([c!.token]); // a and b are not sent again
      expect(await outcomeCounts(redis, app)).toEqual({ delivered: 3 });
      for (const n of [a!, b!, c!]) {
        expect((await findNotification(redis, app, n.id)).final).toMatchObject({ outcome: 'delivered' });
      }
    } finally {
      await queue.close();
      redis.disconnect();
    }
  });
});
