/**
 * The push processor's retry decisions, made by the fleet's retry policy (retry-policy.ts): a `retry` verdict
 * or no answer (TransportError) leaves a notification unfinished; the job saves its state and moves itself
 * to delayed until the policy's time, without spending a BullMQ attempt; the next run re-sends only the
 * unfinished ones, and every try is in the attempt history. Past its horizon a notification is given up
 * into the dead-letter list. Backoffs here are a minute (RETRY_IN_A_MINUTE) until the test promotes the job.
 */
import { getDeadLetter, listDeadLetters, reactivateToken, recordInvalidToken } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import {
  apple,
  metricValue,
  noAnswer,
  notification,
  observationCount,
  ok,
  type ProcessorHarness,
  processorHarnessPerFile,
  RETRY_IN_A_MINUTE,
  TOPIC,
  token,
} from './__fixtures__/processor-harness.js';

let harness: ProcessorHarness;
processorHarnessPerFile((h) => (harness = h));

const A = token(0xa1);
const B = token(0xb2);

describe('push processor: retry', () => {
  it('retry verdict: saves the state and delays the job until the policy says, spending no attempt', async () => {
    const t = await harness.startApp({ script: { [A]: [ok], [B]: [apple(503, 'ServiceUnavailable')] } });
    const [na, nb] = [notification(A), notification(B)];
    const before = Date.now();
    const { id, settled } = await t.enqueue([na, nb]);

    expect((await settled).kind).toBe('delayed');
    const job = await t.job(id);
    expect(await job.getState()).toBe('delayed');
    expect(job.attemptsMade).toBe(0);
    const due = Number(await harness.redis.zscore(`{pushfleet:${t.app}}:notifications:delayed`, id));
    expect(Math.floor(due / 4096)).toBeGreaterThanOrEqual(before + 60_000); // BullMQ scores delayed jobs ts·4096+n
    expect(job.data.state?.[na.id]).toMatchObject({ final: true, outcome: 'delivered' });
    expect(job.data.state?.[nb.id]).toMatchObject({
      final: false,
      outcome: 'retry',
      status: 503,
      reason: 'ServiceUnavailable',
      attempts: [{ outcome: 'retry', status: 503, reason: 'ServiceUnavailable' }],
    });
    expect(await metricValue(t.metrics.retries, { app: t.app, reason: 'ServiceUnavailable' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(0);
    // Only the final verdict counts towards end-to-end time.
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'delivered' })).toBe(1);
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'retry' })).toBe(0);
  });

  it('next run after a retry verdict: re-sends only the unfinished notification and completes', async () => {
    const t = await harness.startApp({
      script: { [A]: [ok], [B]: [apple(429, 'TooManyRequests'), ok] },
    });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);
    expect((await settled).kind).toBe('delayed');

    const again = t.nextSettle(id);
    await (await t.job(id)).promote();
    const end = await again;
    expect(end.kind).toBe('completed');
    expect(t.sender.sentTo()).toEqual([A, B, B]);
    const job = await t.job(id);
    expect(job.attemptsStarted).toBe(2); // two runs; the completing one leaves the data as the first saved it
    expect(await t.result(id)).toMatchObject({ delivered: 2, failed: 0 });
    const [a, b] = (await t.result(id)).notifications;
    expect(a?.attempts.map((x) => x.outcome)).toEqual(['delivered']);
    expect(b?.attempts.map((x) => [x.outcome, x.status])).toEqual([
      ['retry', 429],
      ['delivered', 200],
    ]);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(1);
  });

  it('no answer (transport error): a transport-error attempt with its code, re-sent until answered, each re-send counted', async () => {
    const t = await harness.startApp({
      script: { [A]: [noAnswer('GOAWAY'), noAnswer('TIMEOUT'), ok], [B]: [ok] },
    });
    const [na, nb] = [notification(A), notification(B)];
    const { id, settled } = await t.enqueue([na, nb]);

    expect((await settled).kind).toBe('delayed');
    const held = await t.job(id);
    // No verdict: the state has no outcome, only the attempt naming the transport's error code.
    expect(held.data.state?.[na.id]).toEqual({
      final: false,
      attempts: [{ at: expect.any(Number), outcome: 'transport-error', reason: 'GOAWAY' }],
    });

    let next = t.nextSettle(id);
    await held.promote();
    expect((await next).kind).toBe('delayed');
    next = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await next).kind).toBe('completed');

    expect(t.sender.sentTo()).toEqual([A, B, A, A]);
    expect((await t.result(id)).notifications[0]?.attempts.map((x) => [x.outcome, x.reason])).toEqual([
      ['transport-error', 'GOAWAY'],
      ['transport-error', 'TIMEOUT'],
      ['delivered', undefined],
    ]);
    expect((await t.result(id)).notifications[1]?.attempts).toHaveLength(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(2);
    // Each re-send after a request that may have reached APNs is a possible duplicate.
    expect(await metricValue(t.metrics.resends, { app: t.app, cause: 'GOAWAY' })).toBe(1);
    expect(await metricValue(t.metrics.resends, { app: t.app, cause: 'TIMEOUT' })).toBe(1);
  });

  it('a refused connection is retried but is no possible duplicate: no resend counted', async () => {
    const t = await harness.startApp({ script: { [A]: [noAnswer('CONNECT_FAILED'), ok] } });
    const { id, settled } = await t.enqueue([notification(A)]);
    expect((await settled).kind).toBe('delayed');
    const next = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await next).kind).toBe('completed');
    expect(await metricValue(t.metrics.resends, { app: t.app, cause: 'CONNECT_FAILED' })).toBe(0);
  });

  it('a final verdict on a later run: a rejection after a retry completes beside a delivery', async () => {
    const t = await harness.startApp({
      script: { [A]: [ok], [B]: [apple(500, 'InternalServerError'), apple(400, 'BadExpirationDate')] },
    });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);
    expect((await settled).kind).toBe('delayed');
    expect(t.sender.recycled).toBe(1); // InternalServerError's action is `reconnect`: fresh connections asked for

    const again = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await again).kind).toBe('completed');
    expect(await t.result(id)).toMatchObject({ delivered: 1, failed: 1 });
    expect((await t.result(id)).notifications[1]).toMatchObject({
      final: true,
      outcome: 'rejected',
      reason: 'BadExpirationDate',
    });
    expect(t.sender.sentTo()).toEqual([A, B, B]);
  });
});

describe('push processor: giving up', () => {
  it('past its retry horizon: dead-lettered with its history, counted, and the job completes', async () => {
    const t = await harness.startApp({
      script: { [A]: [ok], [B]: [apple(503, 'ServiceUnavailable')] },
      retryPolicy: { ...RETRY_IN_A_MINUTE, maxAgeMs: 30_000 }, // the next try would be past the horizon
    });
    const [na, nb] = [notification(A), notification(B)];
    const { id, settled } = await t.enqueue([na, nb]);

    expect((await settled).kind).toBe('completed');
    expect(await t.result(id)).toMatchObject({ delivered: 1, failed: 1 });
    expect((await t.result(id)).notifications[1]).toMatchObject({ final: true, outcome: 'dead-lettered' });
    const dead = await getDeadLetter(harness.redis, t.app, nb.id);
    expect(dead).toMatchObject({
      outcome: 'dead-lettered',
      jobId: id,
      notification: nb,
      attempts: [{ outcome: 'retry', status: 503, reason: 'ServiceUnavailable' }],
    });
    expect(dead?.reason).toMatch(/^retry horizon passed after 1 tries: ServiceUnavailable$/);
    const labels = { app: t.app, transport: 'http2', outcome: 'dead-lettered', reason: 'ServiceUnavailable' };
    expect(await metricValue(t.metrics.notifications, labels)).toBe(1);
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'dead-lettered' })).toBe(1);
  });

  it('expired while waiting: not sent, outcome expired, in the dead-letter list with that reason', async () => {
    const t = await harness.startApp({ script: {} });
    const stale = { ...notification(A), expiration: Math.floor(Date.now() / 1000) - 5 };
    const { id, settled } = await t.enqueue([stale]);

    expect((await settled).kind).toBe('failed'); // nothing delivered
    expect(t.sender.sentTo()).toEqual([]);
    const job = await t.job(id);
    expect(job.data.state?.[stale.id]).toMatchObject({ final: true, outcome: 'expired' });
    const { entries } = await listDeadLetters(harness.redis, t.app);
    expect(entries.map((e) => [e.notification.id, e.outcome])).toEqual([[stale.id, 'expired']]);
    expect(entries[0]?.reason).toMatch(/apns-expiration passed/);
  });
});

describe('push processor: dead tokens', () => {
  it('a token recorded dead before the notification was enqueued is suppressed; once reactivated it is sent', async () => {
    const t = await harness.startApp({ script: { [B]: [ok], [A]: [ok] } });
    const report = { app: t.app, token: A, reason: 'Unregistered', topic: TOPIC, source: 'http2' } as const;
    await recordInvalidToken(harness.redis, { ...report, timestamp: Date.now() - 1000 });
    const [na, nb] = [notification(A), notification(B)];
    const first = await t.enqueue([na, nb]);

    expect((await first.settled).kind).toBe('completed');
    expect(t.sender.sentTo()).toEqual([B]);
    expect((await t.result(first.id)).notifications[0]).toMatchObject({
      final: true,
      outcome: 'suppressed',
      reason: 'Unregistered',
    });
    const labels = { app: t.app, transport: 'http2', outcome: 'suppressed', reason: 'Unregistered' };
    expect(await metricValue(t.metrics.notifications, labels)).toBe(1);

    await reactivateToken(harness.redis, t.app, A);
    const second = await t.enqueue([notification(A)]);
    expect((await second.settled).kind).toBe('completed');
    expect(t.sender.sentTo()).toEqual([B, A]);
  });
});
