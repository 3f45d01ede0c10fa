/**
 * The push processor's creds-broken decision: APNs refused the app's credentials (action `creds`). With
 * the fleet's handler (pauseOnBrokenCredentials) the app is paused for every worker and the job is put
 * back delayed without spending an attempt; after `resume`, only the unfinished notifications are sent.
 */
import { hostname } from 'node:os';
import { getAppPause, resumeApp } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import {
  apple,
  metricValue,
  notification,
  ok,
  type ProcessorHarness,
  processorHarnessPerFile,
  token,
} from './__fixtures__/processor-harness.js';
import { pauseOnBrokenCredentials } from './fleet-worker.js';

let harness: ProcessorHarness;
processorHarnessPerFile((h) => (harness = h));

const A = token(0xa1);
const B = token(0xb2);
const HOLD_MS = 600_000;
const refused = apple(403, 'InvalidProviderToken');

/** When a delayed job is due: BullMQ scores delayed jobs timestamp * 0x1000 + a counter. */
async function dueAt(key: string, id: string): Promise<number> {
  return Math.floor(Number(await harness.redis.zscore(key, id)) / 0x1000);
}

describe('push processor: credentials broken', () => {
  it('creds-broken: pauses the app and holds the job delayed without spending an attempt', async () => {
    const t = await harness.startApp({
      script: { [A]: [refused], [B]: [ok] },
      onCredentialsBroken: pauseOnBrokenCredentials,
      credsRetryDelayMs: HOLD_MS,
    });
    const [na, nb] = [notification(A), notification(B)];
    const before = Date.now();
    const { id, settled } = await t.enqueue([na, nb]);

    expect((await settled).kind).toBe('delayed');
    const after = Date.now();
    const job = await t.job(id);
    expect(await job.getState()).toBe('delayed');
    expect(job.attemptsMade).toBe(0);
    const due = await dueAt(t.queue.keys.delayed!, id);
    expect(due).toBeGreaterThanOrEqual(before + HOLD_MS);
    expect(due).toBeLessThanOrEqual(after + HOLD_MS);
    // The verdicts are saved so the held job does not send the delivered one again.
    expect(job.data.state?.[na.id]).toMatchObject({
      final: false,
      outcome: 'creds-broken',
      status: 403,
      reason: 'InvalidProviderToken',
      attempts: [{ outcome: 'creds-broken', status: 403, reason: 'InvalidProviderToken' }],
    });
    expect(job.data.state?.[nb.id]).toMatchObject({ final: true, outcome: 'delivered' });

    expect(await t.queue.isPaused()).toBe(true);
    expect(await getAppPause(harness.redis, t.app)).toMatchObject({
      reason: 'InvalidProviderToken',
      by: `${hostname()}:${process.pid}`,
    });
    expect(await metricValue(t.metrics.appPaused, { app: t.app })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'held' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(0);
  });

  it('after resume: the held job re-sends only the refused notification and completes on its first counted attempt', async () => {
    const t = await harness.startApp({
      script: { [A]: [refused, ok], [B]: [ok] },
      onCredentialsBroken: pauseOnBrokenCredentials,
      credsRetryDelayMs: HOLD_MS,
    });
    const { id, settled } = await t.enqueue([notification(A), notification(B)]);
    expect((await settled).kind).toBe('delayed');

    expect((await resumeApp(harness.redis, t.app))?.reason).toBe('InvalidProviderToken');
    const again = t.nextSettle(id);
    await (await t.job(id)).promote();
    expect((await again).kind).toBe('completed');

    const job = await t.job(id);
    expect(job.attemptsMade).toBe(1);
    expect(t.sender.sentTo()).toEqual([A, B, A]);
    expect(await t.result(id)).toMatchObject({ delivered: 2, failed: 0 });
    expect((await t.result(id)).notifications[0]?.attempts.map((x) => x.outcome)).toEqual([
      'creds-broken',
      'delivered',
    ]);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'completed' })).toBe(1);
  });

  it('creds-broken beside a retry verdict: the job is held, not retried, and both stay unfinished', async () => {
    const t = await harness.startApp({
      script: { [A]: [refused], [B]: [apple(503, 'ServiceUnavailable')] },
      onCredentialsBroken: pauseOnBrokenCredentials,
      credsRetryDelayMs: HOLD_MS,
    });
    const [na, nb] = [notification(A), notification(B)];
    const { id, settled } = await t.enqueue([na, nb]);

    expect((await settled).kind).toBe('delayed');
    const job = await t.job(id);
    expect(await job.getState()).toBe('delayed');
    expect(job.attemptsMade).toBe(0);
    expect(job.data.state?.[na.id]).toMatchObject({ final: false, outcome: 'creds-broken' });
    expect(job.data.state?.[nb.id]).toMatchObject({ final: false, outcome: 'retry' });
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'held' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(0);
  });

  it('creds-broken with no pause handler: retried by the policy like any unfinished notification', async () => {
    const t = await harness.startApp({ script: { [A]: [apple(403, 'BadCertificate')] } });
    const { id, settled } = await t.enqueue([notification(A)]);

    expect((await settled).kind).toBe('delayed');
    const job = await t.job(id);
    expect(await job.getState()).toBe('delayed');
    expect(await metricValue(t.metrics.retries, { app: t.app, reason: 'BadCertificate' })).toBe(1);
    expect(await t.queue.isPaused()).toBe(false);
    expect(await getAppPause(harness.redis, t.app)).toBeUndefined();
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'retried' })).toBe(1);
    expect(await metricValue(t.metrics.jobs, { app: t.app, state: 'held' })).toBe(0);
  });
});
