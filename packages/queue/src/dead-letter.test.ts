import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './__fixtures__/redis-per-file.js';
import {
  addDeadLetters,
  countDeadLetters,
  type DeadLetter,
  getDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
} from './dead-letter.js';
import type { PushJobData } from './job.js';
import { getNotificationStatus } from './job-status.js';
import { validateNotification } from './notification.js';
import { appQueue } from './queue-keys.js';

let redis: Redis;
redisPerFile((_, r) => {
  redis = r;
});

function entry(app: string, i: number, deadAt = Date.now()): DeadLetter {
  const notification = validateNotification({
    token: i.toString(16).padStart(64, '0'),
    topic: 'com.example.app',
    payload: { aps: { alert: `n${i}` } },
  });
  return {
    app,
    notification,
    outcome: 'dead-lettered',
    reason: 'retry horizon passed after 3 tries',
    attempts: [
      { at: deadAt - 2000, outcome: 'retry', status: 503, reason: 'ServiceUnavailable' },
      { at: deadAt - 1000, outcome: 'transport-error', reason: 'CONNECT_FAILED' },
    ],
    enqueuedAt: deadAt - 3000,
    deadAt,
    jobId: notification.id,
  };
}

describe('dead-letter list', () => {
  it('keeps each entry with its attempt history and reason, readable by id and by page', async () => {
    const now = Date.now();
    const entries = [1, 2, 3].map((i) => entry('dl1', i, now + i));
    await addDeadLetters(redis, 'dl1', entries);
    expect(await countDeadLetters(redis, 'dl1')).toBe(3);
    const one = await getDeadLetter(redis, 'dl1', entries[1]!.notification.id);
    expect(one).toEqual(entries[1]);
    const page = await listDeadLetters(redis, 'dl1', { offset: 1, limit: 5 });
    expect(page.total).toBe(3);
    expect(page.entries.map((e) => e.notification.id)).toEqual(
      entries.slice(1).map((e) => e.notification.id),
    );
    expect(await countDeadLetters(redis, 'other')).toBe(0);
  });

  it('is bounded: the oldest entries go past maxEntries, and entries past maxAgeMs go at once', async () => {
    const now = Date.now();
    const old = entry('dl2', 0, now - 10_000);
    const fresh = [1, 2, 3, 4].map((i) => entry('dl2', i, now + i));
    const trimmed = await addDeadLetters(redis, 'dl2', [old, ...fresh], { maxEntries: 3, maxAgeMs: 5_000 });
    expect(trimmed).toBe(2); // the old one by age, then the oldest fresh one by count
    const ids = (await listDeadLetters(redis, 'dl2')).entries.map((e) => e.notification.id);
    expect(ids).toEqual(fresh.slice(1).map((e) => e.notification.id));
  });

  it('purges chosen ids or everything', async () => {
    const entries = [entry('dl3', 1), entry('dl3', 2)];
    await addDeadLetters(redis, 'dl3', entries);
    expect(await purgeDeadLetters(redis, 'dl3', [entries[0]!.notification.id.toUpperCase()])).toBe(1);
    expect(await countDeadLetters(redis, 'dl3')).toBe(1);
    expect(await purgeDeadLetters(redis, 'dl3')).toBe(1);
    expect(await getDeadLetter(redis, 'dl3', entries[1]!.notification.id)).toBeUndefined();
  });

  it('re-drives an entry as a job of its own, found by the notification id, carrying its history, and removes it', async () => {
    const e = entry('dl4', 7);
    await addDeadLetters(redis, 'dl4', [e]);
    const before = Date.now();
    const result = await redriveDeadLetters(redis, 'dl4', [e.notification.id]);
    expect(result).toEqual({ redriven: [e.notification.id], missing: [] });
    expect(await countDeadLetters(redis, 'dl4')).toBe(0);
    const { name, prefix } = appQueue('dl4');
    const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
    try {
      const status = await getNotificationStatus(redis, 'dl4', e.notification.id);
      expect(status).toMatchObject({ state: 'pending', jobState: 'waiting', attempts: 2 });
      const job = await queue.getJob(status!.jobId);
      expect(await job?.getState()).toBe('waiting');
      expect(job?.data.notifications).toEqual([e.notification]);
      expect(job?.data.state?.[e.notification.id]).toEqual({ final: false, attempts: e.attempts });
      expect(job?.data.enqueuedAt).toBeGreaterThanOrEqual(before);
    } finally {
      await queue.close();
    }
  });

  it('re-driving ids none of which is listed is an error naming the list; nothing is enqueued', async () => {
    await expect(redriveDeadLetters(redis, 'dl5', ['00000000-0000-4000-8000-000000000000'])).rejects.toThrow(
      "ids: none of 1 is in dl5's dead-letter list",
    );
  });
});
