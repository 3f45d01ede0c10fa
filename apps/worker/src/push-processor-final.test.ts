/**
 * The push processor's final decisions: every notification got a final verdict on this attempt.
 * Delivered (and permanently rejected beside a delivery) completes the job; token-invalid goes to the
 * dead-token registry; none delivered fails the job at once, whatever attempts are left.
 */
import { getInvalidToken, getPushJobStatus, readFeedback } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import {
  apple,
  failure,
  metricValue,
  notification,
  observationCount,
  ok,
  type ProcessorHarness,
  processorHarnessPerFile,
  TOPIC,
  token,
} from './__fixtures__/processor-harness.js';

let harness: ProcessorHarness;
processorHarnessPerFile((h) => (harness = h));

const A = token(0xa1);
const B = token(0xb2);
const C = token(0xc3);

describe('push processor: final verdicts', () => {
  it('all delivered: completes on the first attempt, returning every verdict, each sent once', async () => {
    const t = await harness.startApp({ script: { [A]: [ok], [B]: [ok] } });
    const [na, nb] = [notification(A), notification(B)];
    const { id, settled } = await t.enqueue([na, nb]);

    const end = await settled;
    expect(end.kind).toBe('completed');
    const job = await t.job(id);
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    // Stored: the counts only, both delivered at the first try; the read rebuilds each from its final record.
    expect(job.returnvalue).toEqual({ app: t.app, delivered: 2, failed: 0, exceptions: [] });
    expect(await t.result(id)).toMatchObject({
      app: t.app,
      delivered: 2,
      failed: 0,
      notifications: [
        {
          id: na.id,
          token: A,
          final: true,
          outcome: 'delivered',
          status: 200,
          attempts: [{ outcome: 'delivered', status: 200 }],
        },
        {
          id: nb.id,
          token: B,
          final: true,
          outcome: 'delivered',
          status: 200,
          attempts: [{ outcome: 'delivered', status: 200 }],
        },
      ],
    });
    // The request carries the notification's apns-id, topic and payload as stored.
    expect(t.sender.requests).toEqual([
      expect.objectContaining({ token: A, apnsId: na.id, topic: TOPIC, payload: na.payload }),
      expect.objectContaining({ token: B, apnsId: nb.id, topic: TOPIC, payload: nb.payload }),
    ]);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(1);
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'delivered' })).toBe(2);
    expect(await readFeedback(harness.redis, t.app)).toEqual([]);
  });

  it('rejected permanently beside a delivery: completes, the rejection final and never re-sent', async () => {
    const t = await harness.startApp({ script: { [A]: [ok], [B]: [apple(400, 'BadTopic')] } });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);

    expect((await settled).kind).toBe('completed');
    const job = await t.job(id);
    expect(job.attemptsMade).toBe(1);
    expect((await t.result(id)).delivered).toBe(1);
    expect((await t.result(id)).failed).toBe(1);
    expect((await t.result(id)).notifications[1]).toMatchObject({
      token: B,
      final: true,
      outcome: 'rejected',
      status: 400,
      reason: 'BadTopic',
      attempts: [{ outcome: 'rejected', status: 400, reason: 'BadTopic' }],
    });
    expect(t.sender.sentTo()).toEqual([A, B]);
    expect(await observationCount(t.metrics.endToEnd, { app: t.app, outcome: 'rejected' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(1);
  });

  it('token-invalid: the dead token is recorded with Apple’s timestamp in the registry and the feedback stream', async () => {
    const appleSaw = 1_700_000_000_000;
    const t = await harness.startApp({ script: { [A]: [ok], [B]: [apple(410, 'Unregistered', appleSaw)] } });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);

    expect((await settled).kind).toBe('completed');
    expect((await t.result(id)).notifications[1]).toMatchObject({
      final: true,
      outcome: 'token-invalid',
      status: 410,
      reason: 'Unregistered',
      timestamp: appleSaw,
    });
    expect(await getInvalidToken(harness.redis, t.app, B)).toMatchObject({
      reason: 'Unregistered',
      timestamp: appleSaw,
      topic: TOPIC,
      source: 'http2',
    });
    expect(await getInvalidToken(harness.redis, t.app, A)).toBeUndefined();
    const feed = await readFeedback(harness.redis, t.app);
    expect(feed).toEqual([
      expect.objectContaining({ token: B, reason: 'Unregistered', timestamp: appleSaw }),
    ]);
    expect(await metricValue(t.metrics.invalidTokens, { app: t.app, source: 'http2' })).toBe(1);
  });

  it('token-invalid reported again with the same Apple timestamp: recorded and counted once', async () => {
    const appleSaw = 1_700_000_000_000;
    const gone = apple(410, 'Unregistered', appleSaw);
    const t = await harness.startApp({ script: { [A]: [ok, ok], [B]: [gone, gone] } });
    const first = await t.enqueue([notification(A), notification(B)]);
    expect((await first.settled).kind).toBe('completed');
    const second = await t.enqueue([notification(A), notification(B)]);
    expect((await second.settled).kind).toBe('completed');

    expect(await readFeedback(harness.redis, t.app)).toHaveLength(1);
    expect(await metricValue(t.metrics.invalidTokens, { app: t.app, source: 'http2' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(2);
  });

  it('token-invalid without an Apple timestamp, on legacy: recorded at the verdict time under source legacy', async () => {
    const t = await harness.startApp({
      transport: 'legacy',
      script: { [A]: [ok], [B]: [apple(400, 'BadDeviceToken')] },
    });
    const before = Date.now();
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);

    expect((await settled).kind).toBe('completed');
    const record = await getInvalidToken(harness.redis, t.app, B);
    expect(record).toMatchObject({ reason: 'BadDeviceToken', source: 'legacy', topic: TOPIC });
    // No timestamp from Apple: the registry gets the time the answer was recorded in the job.
    const attempt = (await t.result(id)).notifications[1]?.attempts[0];
    expect(attempt?.at).toBeGreaterThanOrEqual(before);
    expect(record?.timestamp).toBe(attempt?.at);
    expect(await metricValue(t.metrics.invalidTokens, { app: t.app, source: 'legacy' })).toBe(1);
    expect(await metricValue(t.metrics.invalidTokens, { app: t.app, source: 'http2' })).toBe(0);
  });

  it('none delivered: fails at once with the reasons, attempts left unused, verdicts kept in the job record', async () => {
    const t = await harness.startApp({
      script: {
        [A]: [apple(400, 'BadDeviceToken')],
        [B]: [apple(400, 'BadDeviceToken')],
        [C]: [apple(413, 'PayloadTooLarge')],
      },
    });
    const { id, settled } = await t.enqueue([notification(A), notification(B), notification(C)], {
      attempts: 5,
      backoff: { type: 'fixed', delay: 60_000 },
    });

    const error = failure(await settled);
    expect(error.name).toBe('UnrecoverableError');
    expect(error.message).toBe('BadDeviceToken x2, PayloadTooLarge');
    const job = await t.job(id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe('BadDeviceToken x2, PayloadTooLarge');
    // The status read (API, CLI) rebuilds the verdicts from the state the processor saved.
    const status = await getPushJobStatus(t.queue, id);
    expect(status?.result).toMatchObject({ delivered: 0, failed: 3 });
    expect(status?.result?.notifications.map((n) => [n.final, n.outcome])).toEqual([
      [true, 'token-invalid'],
      [true, 'token-invalid'],
      [true, 'rejected'],
    ]);
    expect(t.sender.sentTo()).toEqual([A, B, C]);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'failed' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(0);
    expect(await readFeedback(harness.redis, t.app)).toHaveLength(2);
  });
});
