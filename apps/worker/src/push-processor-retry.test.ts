/**
 * The push processor's retry decision: a `retry` verdict or no answer (TransportError) leaves a
 * notification unfinished. The job saves its state and throws RetryLaterError, so BullMQ retries it with
 * backoff; the next attempt re-sends only the unfinished ones, and every try is in the attempt history.
 * Retried jobs wait a minute (HELD_BACK) until the test promotes them: no timers decide anything here.
 */
import { getPushJobStatus } from '@pushfleet/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  apple,
  failure,
  metricValue,
  noAnswer,
  notification,
  observationCount,
  ok,
  type ProcessorHarness,
  startProcessorHarness,
  token,
} from './__fixtures__/processor-harness.js';

let harness: ProcessorHarness;
beforeAll(async () => {
  harness = await startProcessorHarness();
});
afterEach(async () => {
  await harness.closeApps();
});
afterAll(async () => {
  await harness?.close();
});

const A = token(0xa1);
const B = token(0xb2);

describe('push processor: retry', () => {
  it('retry verdict: saves the state, throws RetryLaterError and leaves the job delayed for backoff', async () => {
    const t = await harness.startApp({ script: { [A]: [ok], [B]: [apple(503, 'ServiceUnavailable')] } });
    const [na, nb] = [notification(A), notification(B)];
    const { id, settled } = await t.enqueue([na, nb]);

    const error = failure(await settled);
    expect(error.name).toBe('RetryLaterError');
    expect(error.message).toBe('1 of 2 to retry: ServiceUnavailable');
    const job = await t.job(id);
    expect(await job.getState()).toBe('delayed');
    expect(job.attemptsMade).toBe(1);
    expect(job.data.state?.[na.id]).toMatchObject({ final: true, outcome: 'delivered' });
    expect(job.data.state?.[nb.id]).toMatchObject({
      final: false,
      outcome: 'retry',
      status: 503,
      reason: 'ServiceUnavailable',
      attempts: [{ outcome: 'retry', status: 503, reason: 'ServiceUnavailable' }],
    });
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(0);
    // Only the final verdict counts towards end-to-end time.
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'delivered' })).toBe(1);
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'retry' })).toBe(0);
  });

  it('next attempt after a retry verdict: re-sends only the unfinished notification and completes', async () => {
    const t = await harness.startApp({
      script: { [A]: [ok], [B]: [apple(429, 'TooManyRequests'), ok] },
    });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);
    expect(failure(await settled).name).toBe('RetryLaterError');

    const again = t.nextSettle(id);
    await (await t.job(id)).promote();
    const end = await again;
    expect(end.kind).toBe('completed');
    expect(t.sender.sentTo()).toEqual([A, B, B]);
    const job = await t.job(id);
    expect(job.attemptsMade).toBe(2);
    expect(job.returnvalue).toMatchObject({ delivered: 2, failed: 0 });
    const [a, b] = job.returnvalue.notifications;
    expect(a?.attempts.map((x) => x.outcome)).toEqual(['delivered']);
    expect(b?.attempts.map((x) => [x.outcome, x.status])).toEqual([
      ['retry', 429],
      ['delivered', 200],
    ]);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(1);
  });

  it('no answer (transport error): recorded as a transport-error attempt with its code, re-sent until answered', async () => {
    const t = await harness.startApp({
      script: { [A]: [noAnswer('GOAWAY'), noAnswer('TIMEOUT'), ok], [B]: [ok] },
    });
    const [na, nb] = [notification(A), notification(B)];
    const { id, settled } = await t.enqueue([na, nb]);

    const first = failure(await settled);
    expect(first.name).toBe('RetryLaterError');
    expect(first.message).toBe('1 of 2 to retry: GOAWAY');
    const held = await t.job(id);
    // No verdict: the state has no outcome, only the attempt naming the transport's error code.
    expect(held.data.state?.[na.id]).toEqual({
      final: false,
      attempts: [{ at: expect.any(Number), outcome: 'transport-error', reason: 'GOAWAY' }],
    });

    let next = t.nextSettle(id);
    await held.promote();
    expect(failure(await next).message).toBe('1 of 2 to retry: TIMEOUT');
    next = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await next).kind).toBe('completed');

    const job = await t.job(id);
    expect(job.attemptsMade).toBe(3);
    expect(t.sender.sentTo()).toEqual([A, B, A, A]);
    expect(job.returnvalue.notifications[0]?.attempts.map((x) => [x.outcome, x.reason])).toEqual([
      ['transport-error', 'GOAWAY'],
      ['transport-error', 'TIMEOUT'],
      ['delivered', undefined],
    ]);
    expect(job.returnvalue.notifications[1]?.attempts).toHaveLength(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(2);
  });

  it('a final verdict on a later attempt: a rejection after a retry completes beside a delivery', async () => {
    const t = await harness.startApp({
      script: { [A]: [ok], [B]: [apple(500, 'InternalServerError'), apple(400, 'BadExpirationDate')] },
    });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);
    expect(failure(await settled).message).toBe('1 of 2 to retry: InternalServerError');

    const again = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await again).kind).toBe('completed');
    const job = await t.job(id);
    expect(job.returnvalue).toMatchObject({ delivered: 1, failed: 1 });
    expect(job.returnvalue.notifications[1]).toMatchObject({
      final: true,
      outcome: 'rejected',
      reason: 'BadExpirationDate',
    });
    expect(t.sender.sentTo()).toEqual([A, B, B]);
  });

  it('still unfinished on the last attempt: the job fails with its state saved for the status read', async () => {
    const t = await harness.startApp({ script: { [A]: [ok], [B]: [apple(503, 'ServiceUnavailable')] } });
    const { id, settled } = await t.enqueue([notification(A), notification(B)], { attempts: 1 });

    expect(failure(await settled).name).toBe('RetryLaterError');
    const job = await t.job(id);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe('1 of 2 to retry: ServiceUnavailable');
    const status = await getPushJobStatus(t.queue, id);
    expect(status?.result).toMatchObject({ delivered: 1, failed: 0 });
    expect(status?.result?.notifications.map((n) => [n.final, n.outcome])).toEqual([
      [true, 'delivered'],
      [false, 'retry'],
    ]);
  });
});
