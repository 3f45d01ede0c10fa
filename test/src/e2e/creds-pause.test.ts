/**
 * Credentials broken (InvalidProviderToken): the app is paused for the whole fleet and its jobs are held,
 * not burned; once the credentials are fixed and the app resumed, the held notification is delivered.
 */
import { getAppPause, getPushJobStatus, resumeApp, waitForJobs } from '@pushfleet/queue';
import { createProviderKey } from '@pushfleet/simulator';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet, TOPIC } from '../helpers/fleet.js';

const stranger = createProviderKey();
let fleet: TestFleet;
let redis: Redis;

beforeAll(async () => {
  fleet = await startTestFleet({
    worker: { credsRetryDelayMs: 100 },
    apps: (sim) => [
      {
        name: 'unknown-key',
        topics: [TOPIC],
        transport: 'http2',
        url: sim.url,
        apnsEnvironment: 'sandbox',
        ca: sim.ca,
        auth: {
          kind: 'token',
          keyPem: stranger.privateKeyPem,
          keyId: stranger.keyId,
          teamId: stranger.teamId,
        },
      },
    ],
  });
  redis = new Redis(fleet.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
});

async function until<T>(what: () => Promise<T | undefined>, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('credentials broken', () => {
  it('pauses the app, holds the job without spending attempts, and delivers it after resume', async () => {
    const { jobIds } = await fleet.producer.send({
      token: 'ee'.repeat(32),
      topic: TOPIC,
      payload: { aps: { alert: 'held' } },
    });
    const pause = await until(() => getAppPause(redis, 'unknown-key'));
    expect(pause.reason).toBe('InvalidProviderToken');
    expect(await fleet.producer.queue.isPaused()).toBe(true);

    const held = await until(async () => {
      const s = await getPushJobStatus(fleet.producer.queue, jobIds[0]!);
      return s?.state === 'delayed' || s?.state === 'waiting' ? s : undefined;
    });
    expect(held.attemptsMade).toBe(0);
    const metrics = await (await fetch(fleet.worker.metricsUrl)).text();
    expect(metrics).toContain('pushfleet_app_paused{app="unknown-key"} 1');
    expect(metrics).toContain(
      'pushfleet_notifications_total{app="unknown-key",transport="http2",outcome="creds-broken",reason="InvalidProviderToken"}',
    );

    // The operator fixes the credentials (here: Apple learns the key), then resumes the app.
    fleet.sim.keys.add({
      keyId: stranger.keyId,
      teamId: stranger.teamId,
      publicKeyPem: stranger.publicKeyPem,
    });
    expect((await resumeApp(redis, 'unknown-key'))?.reason).toBe('InvalidProviderToken');
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 8000 });
    expect(done.completed).toBe(1);
    const status = await getPushJobStatus(fleet.producer.queue, jobIds[0]!);
    expect(status?.result?.notifications[0]?.attempts.map((a) => a.outcome)).toEqual([
      'creds-broken',
      'delivered',
    ]);
    expect(await getAppPause(redis, 'unknown-key')).toBeUndefined();
  });
});
