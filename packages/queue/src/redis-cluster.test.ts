/**
 * startRedisCluster: a real 3-master, 3-replica cluster on loopback, both ways of failing a master over,
 * and the fleet's cluster-wide checks (eviction policy on every master) against it.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { assertNoEviction } from './eviction-policy.js';
import { queueKeys } from './queue-keys.js';
import { startRedisCluster } from './redis-cluster.js';
import { connectRedis } from './redis-connection.js';

describe('startRedisCluster', () => {
  it('serves every slot, fails a master over gracefully and by SIGKILL, and the client follows', async () => {
    await using cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.url).toMatch(/^redis\+cluster:\/\/127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){5}$/);
    const { client } = connectRedis(cluster.url);
    try {
      const apps = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'];
      for (const app of apps) await client.set(queueKeys.paused(app), app);
      const before = await cluster.masters();
      expect(before).toHaveLength(3);

      const graceful = await cluster.failover(0);
      const kill = await cluster.failover(1, { kill: true });
      const after = (await cluster.masters()).map((m) => m.port);
      expect(after).toEqual([graceful.to.port, kill.to.port, before[2]!.port]);
      // A graceful failover loses nothing; the killed shard takes writes again under its new master.
      for (const app of apps) await client.set(`${queueKeys.paused(app)}:after`, '1');
      expect(await client.get(queueKeys.paused('a1'))).toBe('a1');
      for (const app of apps) expect(await client.get(`${queueKeys.paused(app)}:after`)).toBe('1');

      // The eviction check reads every master: one evicting master is enough to refuse.
      await assertNoEviction(client);
      const { client: third } = connectRedis(`redis://127.0.0.1:${before[2]!.port}`);
      await third.config('SET', 'maxmemory-policy', 'allkeys-lru');
      third.disconnect();
      await expect(assertNoEviction(client)).rejects.toThrow(ValidationError);
      await expect(assertNoEviction(client)).rejects.toThrow(/"allkeys-lru"/);
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('refuses fewer than 3 masters, naming the option', async () => {
    await expect(startRedisCluster({ masters: 2 })).rejects.toThrow(
      /^masters: Redis Cluster needs at least 3/,
    );
  });
});
