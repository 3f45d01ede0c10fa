/**
 * Broadcast push through the fleet: SDK -> Redis (the app's broadcasts queue) -> worker -> the simulator's
 * management port and push port, over TLS/HTTP2; the channel registry, the job results and the metrics.
 */
import {
  type BroadcastStatus,
  listBroadcastDeadLetters,
  redriveBroadcastDeadLetters,
} from '@pushfleet/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet, TOPIC } from '../helpers/fleet.js';

let fleet: TestFleet;
beforeAll(async () => {
  // Short horizons so a broadcast APNs keeps refusing is given up within the test (3 s: long enough that a
  // broadcast waiting for a busy machine's worker is not given up before its first try).
  fleet = await startTestFleet({
    worker: {
      retryPolicy: {
        baseDelayMs: 50,
        maxDelayMs: 100,
        floorMs: 10,
        maxAgeMs: 60_000,
        noStoreHorizonMs: 3000,
      },
    },
  });
});
afterAll(async () => {
  await fleet?.close();
});

async function settled(id: string): Promise<BroadcastStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await fleet.producer.broadcastStatus(fleet.app, id);
    if (status.state === 'completed' || status.state === 'failed') return status;
    if (Date.now() > deadline) throw new Error(`${id} still ${status.state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const metrics = async () => (await fetch(fleet.worker.metricsUrl)).text();
const update = { event: 'update', timestamp: 1_767_226_200, contentState: { score: '1-0' } } as const;

describe('broadcast through the fleet', () => {
  let channelId = '';

  it('creates a channel as a job and records it in the app registry', async () => {
    const { id } = await fleet.producer.channel({ op: 'create', bundleId: TOPIC, storagePolicy: 0 });
    const status = await settled(id);
    expect(status).toMatchObject({
      state: 'completed',
      result: { outcome: 'ok', status: 201, requestId: id },
    });
    channelId = status.result!.channelId!;
    expect(fleet.sim.channels.list(TOPIC)).toEqual([channelId]);
    expect(await fleet.producer.listChannels(fleet.app, { live: true })).toMatchObject([
      { id: channelId, bundleId: TOPIC, storagePolicy: 0, source: 'created', requestId: id },
    ]);
  });

  it('delivers a broadcast to the simulator, recorded with its channel id, and keeps apns-unique-id', async () => {
    const { id } = await fleet.producer.broadcast({
      bundleId: TOPIC,
      channelId,
      priority: 5,
      liveActivity: update,
    });
    const status = await settled(id);
    expect(status).toMatchObject({
      state: 'completed',
      result: { outcome: 'ok', status: 200, requestId: id },
    });
    const record = (await fleet.sim.broadcasts.waitFor(1)).find((r) => r.requestId === id);
    expect(record).toMatchObject({
      channelId,
      bundleId: TOPIC,
      uniqueId: status.result?.uniqueId,
      warnings: [],
      headers: {
        'apns-channel-id': channelId,
        'apns-push-type': 'liveactivity',
        'apns-priority': '5',
        'apns-expiration': '0',
      },
    });
    expect(JSON.parse(record!.payload)).toEqual({
      aps: { timestamp: 1_767_226_200, event: 'update', 'content-state': { score: '1-0' } },
    });
    const text = await metrics();
    expect(text).toContain(`pushfleet_broadcasts_total{app="${fleet.app}",outcome="ok",reason=""} 1`);
    expect(text).toContain(
      `pushfleet_channel_operations_total{app="${fleet.app}",operation="create",outcome="ok",reason=""} 1`,
    );
    expect(text).toContain(`pushfleet_broadcast_channels{app="${fleet.app}"} 1`);
  });

  it('a broadcast to a channel APNs does not know fails as gone, counted with its reason', async () => {
    const { id } = await fleet.producer.broadcast({
      bundleId: TOPIC,
      channelId: 'dHN0LXNyY2gtY2hubA==',
      liveActivity: update,
    });
    const status = await settled(id);
    expect(status).toMatchObject({
      state: 'failed',
      result: { outcome: 'gone', reason: 'ChannelNotRegistered' },
    });
    expect(await metrics()).toContain(
      `pushfleet_broadcasts_total{app="${fleet.app}",outcome="gone",reason="ChannelNotRegistered"} 1`,
    );
  });

  it('a sync adopts a channel made outside the fleet; a delete marks it deleted and the gauge follows', async () => {
    const outside = fleet.sim.channels.create(TOPIC, 1, 'LiveActivity', Date.now())!.id;
    const sync = await fleet.producer.channel({ op: 'sync', bundleId: TOPIC });
    expect((await settled(sync.id)).result?.adopted).toBe(1);
    expect(
      (await fleet.producer.listChannels(fleet.app, { live: true })).map((c) => [c.id, c.source]),
    ).toEqual([
      [channelId, 'created'],
      [outside, 'adopted'],
    ]);
    const del = await fleet.producer.channel({ op: 'delete', bundleId: TOPIC, channelId });
    expect((await settled(del.id)).state).toBe('completed');
    expect(fleet.sim.channels.list(TOPIC)).toEqual([outside]);
    const [entry] = await fleet.producer.listChannels(fleet.app);
    expect(entry?.deletedAt).toBeGreaterThan(0);
    expect(await metrics()).toContain(`pushfleet_broadcast_channels{app="${fleet.app}"} 1`);
    await expect(
      fleet.producer.broadcast({ bundleId: TOPIC, channelId, liveActivity: update }),
    ).rejects.toThrow(/^channelId: channel .* was deleted/);
  });
});

describe('retries and the broadcast dead-letter list', () => {
  it('a broadcast APNs keeps answering 503 is retried, then expires into the dead-letter list; a re-drive sends it', async () => {
    const { id: createId } = await fleet.producer.channel({
      op: 'create',
      bundleId: TOPIC,
      storagePolicy: 0,
    });
    const channel = (await settled(createId)).result!.channelId!;
    const rule = fleet.sim.broadcastRules.add({
      operation: 'broadcast',
      channelId: channel,
      reason: 'ServiceUnavailable',
    });
    const { id } = await fleet.producer.broadcast({
      bundleId: TOPIC,
      channelId: channel,
      liveActivity: update,
    });
    const status = await settled(id);
    expect(status).toMatchObject({ state: 'failed', result: { outcome: 'expired' } });
    expect(rule.hits).toBeGreaterThan(1);
    const redis = new Redis(fleet.redis.url);
    try {
      const [dead] = await listBroadcastDeadLetters(redis, fleet.app);
      expect(dead).toMatchObject({
        app: fleet.app,
        outcome: 'expired',
        job: { broadcast: { id, channelId: channel } },
      });
      expect(dead?.reason).toMatch(/^ServiceUnavailable: apns-expiration passed/);
      expect(await metrics()).toContain(
        `pushfleet_broadcasts_total{app="${fleet.app}",outcome="expired",reason="ServiceUnavailable"} 1`,
      );
      rule.remove();
      fleet.sim.broadcasts.clear();
      expect(await redriveBroadcastDeadLetters(redis, fleet.app, [id])).toEqual([id]);
      const [again] = await fleet.sim.broadcasts.waitFor(1);
      expect(again).toMatchObject({ requestId: id, channelId: channel });
      expect(await listBroadcastDeadLetters(redis, fleet.app)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

describe('apns-unique-id on /3/device', () => {
  it('a sandbox delivery keeps it in the notification status, as the simulator answered it', async () => {
    const { ids } = await fleet.producer.send({
      token: 'c0'.repeat(32),
      topic: TOPIC,
      payload: { aps: { alert: 'hi' } },
    });
    const deadline = Date.now() + 10_000;
    let status = await fleet.producer.status(ids[0]!);
    while (status?.state !== 'final' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      status = await fleet.producer.status(ids[0]!);
    }
    const record = fleet.sim.recorder.accepted.find((r) => r.apnsId === ids[0]);
    expect(record?.uniqueId).toMatch(/^[0-9a-f-]{36}$/);
    expect(status).toMatchObject({ state: 'final', outcome: 'delivered', uniqueId: record?.uniqueId });
  });
});
