/**
 * The foundation's real path: SDK -> Redis/BullMQ -> worker -> APNs (the simulator, over TLS/HTTP2) ->
 * verdict -> job result, token registry and metrics.
 */
import {
  DEFAULT_JOB_SIZE,
  getInvalidToken,
  getPushJobStatus,
  readFeedback,
  waitForJobs,
} from '@pushfleet/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet, TOPIC } from '../helpers/fleet.js';

let fleet: TestFleet;
let redis: Redis;
beforeAll(async () => {
  fleet = await startTestFleet();
  redis = new Redis(fleet.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
});

const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'a1'.repeat(28)}`;

describe('SDK -> worker -> simulator', () => {
  it('delivers a notification with the same token, topic, payload and headers, and completes its job', async () => {
    const payload = { aps: { alert: { title: 'Hi', body: 'there' }, badge: 3 }, custom: 'é' };
    const expiration = Math.floor(Date.now() / 1000) + 3600;
    const { ids, jobIds } = await fleet.producer.send({
      token: tokenOf(1).toUpperCase(),
      topic: TOPIC,
      payload,
      priority: 5,
      expiration,
      collapseId: 'group-1',
    });
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 8000 });
    expect(done.completed).toBe(1);

    const arrived = fleet.sim.recorder.accepted.find((r) => r.headers['apns-id'] === ids[0]);
    expect(arrived).toBeDefined();
    expect(arrived!.token).toBe(tokenOf(1));
    expect(arrived!.topic).toBe(TOPIC);
    expect(JSON.parse(arrived!.payload)).toEqual(payload);
    expect(arrived!.headers).toMatchObject({
      'apns-topic': TOPIC,
      'apns-push-type': 'alert',
      'apns-priority': '5',
      'apns-expiration': String(expiration),
      'apns-collapse-id': 'group-1',
      'apns-id': ids[0],
    });

    const status = await getPushJobStatus(fleet.producer.queue, jobIds[0]!);
    expect(status?.state).toBe('completed');
    expect(status?.result?.notifications[0]).toMatchObject({
      id: ids[0],
      final: true,
      outcome: 'delivered',
      status: 200,
    });
  });

  it('reports a dead token as failed with reason Unregistered, and records it once in the registry and feedback stream', async () => {
    const token = tokenOf(2);
    const diedAt = Date.now() - 86_400_000;
    fleet.sim.devices.markDead(token, { timestamp: diedAt });
    const { jobIds } = await fleet.producer.send({
      token,
      topic: TOPIC,
      payload: { aps: { alert: 'gone?' } },
    });
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 8000 });
    expect(done.failed).toBe(1);

    const status = await getPushJobStatus(fleet.producer.queue, jobIds[0]!);
    expect(status?.state).toBe('failed');
    expect(status?.failedReason).toBe('Unregistered');
    expect(status?.attemptsMade).toBe(1); // never retried
    expect(status?.result?.notifications[0]).toMatchObject({
      outcome: 'token-invalid',
      status: 410,
      reason: 'Unregistered',
      timestamp: diedAt,
    });

    expect(await getInvalidToken(redis, fleet.app, token)).toMatchObject({
      reason: 'Unregistered',
      timestamp: diedAt,
      topic: TOPIC,
      source: 'http2',
    });
    const feedback = await readFeedback(redis, fleet.app);
    expect(feedback.filter((f) => f.token === token)).toHaveLength(1);
  });

  it('refuses an oversize payload at enqueue: clear error, nothing in Redis, nothing at the simulator', async () => {
    const before = fleet.sim.recorder.accepted.length;
    const send = fleet.producer.send({
      token: tokenOf(3),
      topic: TOPIC,
      payload: { aps: { alert: 'x'.repeat(4100) } },
    });
    await expect(send).rejects.toThrow(/^payload: 4,1\d\d bytes > 4,096 byte limit/);
    const counts = await fleet.producer.queue.getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(2); // the two jobs above, nothing more
    expect(fleet.sim.recorder.accepted.length).toBe(before);
  });

  it('delivers a batch (one job: under DEFAULT_JOB_SIZE), each notification arriving exactly once', async () => {
    const notifications = Array.from({ length: 200 }, (_, i) => ({
      token: tokenOf(1000 + i),
      topic: TOPIC,
      payload: { aps: { alert: `n${i}` } },
    }));
    const { ids, jobIds } = await fleet.producer.sendMany(notifications);
    expect(jobIds).toHaveLength(Math.ceil(200 / DEFAULT_JOB_SIZE));
    const done = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 8000 });
    expect(done.completed).toBe(jobIds.length);
    const statuses = await Promise.all(ids.map((id) => fleet.producer.status(id)));
    expect(statuses.every((s) => s?.state === 'final' && s.outcome === 'delivered')).toBe(true);
    const seen = new Map<string, number>();
    for (const r of fleet.sim.recorder.accepted)
      seen.set(r.headers['apns-id'] as string, (seen.get(r.headers['apns-id'] as string) ?? 0) + 1);
    for (const id of ids) expect(seen.get(id)).toBe(1);
  });

  it('exports verdicts and round trips on /metrics in Prometheus text format', async () => {
    const res = await fetch(fleet.worker.metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const app = fleet.app;
    expect(text).toMatch(
      new RegExp(
        `pushfleet_notifications_total\\{app="${app}",transport="http2",outcome="delivered",reason=""\\} 201`,
      ),
    );
    expect(text).toContain(
      `pushfleet_notifications_total{app="${app}",transport="http2",outcome="token-invalid",reason="Unregistered"} 1`,
    );
    expect(text).toMatch(
      new RegExp(
        `pushfleet_apns_round_trip_seconds_count\\{app="${app}",transport="http2",outcome="delivered"\\} 201`,
      ),
    );
    expect(text).toContain(`pushfleet_invalid_tokens_recorded_total{app="${app}",source="http2"} 1`);
    // The single send's job, and the batch's.
    expect(text).toContain(
      `pushfleet_jobs_total{app="${app}",state="completed"} ${1 + Math.ceil(200 / DEFAULT_JOB_SIZE)}`,
    );
  });
});
