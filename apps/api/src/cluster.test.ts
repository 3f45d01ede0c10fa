/**
 * The API and the queue board on a real Redis Cluster (3 masters on loopback): enqueue to two apps, read a
 * notification's status, the apps' depth and dead letters, and the board's queue list, all through a
 * redis+cluster:// URL.
 */
import { routesFor } from '@pushfleet/queue';
import { startRedisCluster } from '@pushfleet/queue/redis-cluster';
import { describe, expect, it } from 'vitest';
import { startApi, testKey } from './__fixtures__/api-harness.js';
import { createBoardServer } from './board.js';

const APPS = [
  { name: 'shop', topics: ['com.example.shop'] },
  { name: 'news', topics: ['com.example.news'] },
];
const token = (i: number) => `${i.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`;

describe('the API and the board on a Redis Cluster', () => {
  it('enqueues to two apps and reads status, depth, dead letters and the board', async () => {
    await using cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    const ops = testKey('ops', ['*']);
    await using api = await startApi({
      redisUrl: cluster.url,
      apps: APPS.map((a) => a.name),
      routes: routesFor(APPS),
      keys: [ops],
    });
    const sent = await api.call('/v1/notifications', {
      method: 'POST',
      json: {
        // Caller-chosen ids: their idempotency check spans both apps' slots in one request.
        notifications: [0, 1, 2].map((i) => ({
          apnsId: `00000000-0000-4000-8000-00000000000${i}`,
          token: token(i),
          topic: i === 1 ? 'com.example.news' : 'com.example.shop',
          payload: { aps: { alert: `#${i}` } },
        })),
      },
    });
    expect(sent.status).toBe(202);
    const { ids } = (await sent.json()) as { ids: string[] };
    expect(ids).toEqual([0, 1, 2].map((i) => `00000000-0000-4000-8000-00000000000${i}`));

    const status = await api.call(`/v1/notifications/${ids[1]}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ app: 'news' });

    const apps = (await (await api.call('/v1/apps')).json()) as { apps: { name: string; depth: number }[] };
    expect(apps.apps.map((a) => [a.name, a.depth])).toEqual([
      ['shop', 1],
      ['news', 1],
    ]);
    expect((await api.call('/v1/dlq?app=shop')).status).toBe(200);
    expect((await api.call('/readyz', { as: null })).status).toBe(200);

    const board = await createBoardServer({ redis: api.redis, apps: ['shop', 'news'], apiKeys: [ops] });
    try {
      const base = await board.listen({ port: 0, host: '127.0.0.1' });
      const queues = await fetch(`${base}/api/queues`, {
        headers: { authorization: `Basic ${Buffer.from(`op:${ops.key}`).toString('base64')}` },
      });
      expect(queues.status).toBe(200);
      const body = (await queues.json()) as { queues: { name: string; counts: Record<string, number> }[] };
      expect(body.queues.map((q) => [q.name, q.counts.waiting])).toEqual([
        ['shop-notifications', 1],
        ['news-notifications', 1],
      ]);
    } finally {
      await board.close();
    }
  }, 60_000);
});
