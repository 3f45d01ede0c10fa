/**
 * One job of 1,000 notifications: each keeps its own verdict, attempts and status by id; a retry re-sends only
 * the unfinished ones; what ended is readable by id after the job is removed, and counted for waiters.
 */
import {
  getNotificationStatus,
  madeNotificationId,
  newJobId,
  outcomeCounts,
  PUSH_JOB_NAME,
  type PushJobData,
  queueKeys,
  statusBucketOf,
} from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import {
  apple,
  HELD_BACK,
  notification,
  ok,
  type ProcessorHarness,
  processorHarnessPerFile,
  token,
} from './__fixtures__/processor-harness.js';

let harness: ProcessorHarness;
processorHarnessPerFile((h) => (harness = h));

describe('push processor: a job of many', () => {
  it('1,000 notifications, 10 dead tokens, 5 retryable: verdicts per id, only the 5 re-sent, statuses by id', async () => {
    const tokens = Array.from({ length: 1000 }, (_, i) => token(0x10000 + i));
    const dead = new Set(tokens.slice(0, 10));
    const flaky = new Set(tokens.slice(10, 15));
    const script = Object.fromEntries(
      tokens.map((t) => [
        t,
        dead.has(t)
          ? [apple(410, 'Unregistered', 1_700_000_000_000)]
          : flaky.has(t)
            ? [apple(503, 'ServiceUnavailable'), ok]
            : [ok],
      ]),
    );
    const t = await harness.startApp({ script });
    const notifications = tokens.map(notification);
    const { id, settled } = await t.enqueue(notifications);
    expect((await settled).kind).toBe('delayed');
    expect(t.sender.sentTo()).toHaveLength(1000);

    const flakyId = notifications[12]!.id;
    expect(await getNotificationStatus(harness.redis, t.app, flakyId)).toMatchObject({
      state: 'pending',
      jobId: id,
      jobState: 'delayed',
      outcome: 'retry',
      attempts: 1,
    });
    expect(await outcomeCounts(harness.redis, t.app)).toEqual({ delivered: 985, 'token-invalid': 10 });

    const again = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await again).kind).toBe('completed');
    const resent = t.sender.sentTo().slice(1000);
    expect(resent.sort()).toEqual([...flaky].sort());
    expect(await outcomeCounts(harness.redis, t.app)).toEqual({ delivered: 990, 'token-invalid': 10 });

    // The job goes (BullMQ's retention); each notification still reads by id.
    await (await t.job(id)).remove();
    expect(await getNotificationStatus(harness.redis, t.app, flakyId)).toMatchObject({
      state: 'final',
      outcome: 'delivered',
      status: 200,
      attempts: 2,
      jobId: id,
    });
    expect(await getNotificationStatus(harness.redis, t.app, notifications[3]!.id)).toMatchObject({
      state: 'final',
      outcome: 'token-invalid',
      reason: 'Unregistered',
    });
  });

  it('reads a v1 job (every notification whole), and sends nothing of a version newer than it reads', async () => {
    const [a, b] = [notification(token(0x20001)), notification(token(0x20002))];
    const t = await harness.startApp({ script: { [a.token]: [ok], [b.token]: [ok] } });
    const v1 = t.nextSettle('v1-job');
    await t.queue.add(
      PUSH_JOB_NAME,
      { v: 1, app: t.app, enqueuedAt: Date.now(), notifications: [a, b] },
      { jobId: 'v1-job' },
    );
    expect((await v1).kind).toBe('completed');
    expect(t.sender.sentTo()).toEqual([a.token, b.token]);

    const v9 = t.nextSettle('v9-job');
    const future = { v: 9, app: t.app, enqueuedAt: Date.now(), notifications: [a] } as unknown as PushJobData;
    await t.queue.add(PUSH_JOB_NAME, future, { ...HELD_BACK, jobId: 'v9-job' });
    const settled = await v9;
    expect(settled.kind).toBe('failed');
    expect(settled.kind === 'failed' && settled.error.message).toBe(
      'job record v9: this worker reads v1, v2, v3; upgrade the workers before the producers',
    );
    expect(await (await t.job('v9-job')).isDelayed()).toBe(true); // tried again later, by whichever worker
    expect(t.sender.sentTo()).toHaveLength(2);
  });

  it('a retry indexes again only the ids its producer did not make: a made id names its job', async () => {
    const tokens = Array.from({ length: 4 }, (_, i) => token(0x20000 + i));
    const t = await harness.startApp({
      script: Object.fromEntries(tokens.map((tk) => [tk, [apple(503, 'ServiceUnavailable'), ok]])),
    });
    const jobId = newJobId();
    const chosen = '3c2b1a09-8f7e-4d6c-9b5a-a4b3c2d1e0f9';
    const notifications = tokens.map((tk, i) => ({
      ...notification(tk),
      id: i === 2 ? chosen : madeNotificationId(jobId, i)!,
    }));
    const where = queueKeys.notificationJobs(t.app, statusBucketOf(Date.now()));
    const { settled } = await t.enqueue(notifications, HELD_BACK, jobId);
    expect(await harness.redis.hkeys(where)).toEqual([chosen]);
    await harness.redis.del(where); // so what the retry writes shows
    expect((await settled).kind).toBe('delayed');
    expect(await harness.redis.hgetall(where)).toEqual({ [chosen]: jobId });
    for (const n of notifications)
      expect(await getNotificationStatus(harness.redis, t.app, n.id)).toMatchObject({
        jobId,
        outcome: 'retry',
      });
  });
});
