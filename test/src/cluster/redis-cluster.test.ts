/**
 * The fleet on a real Redis Cluster (3 masters, 3 replicas on loopback): 20,000 notifications for 6 apps,
 * a worker process that finds the cluster through REDIS_CLUSTER_NODES, a producer through a
 * redis+cluster:// URL, and one master failed over to its replica in the middle of the run. Every app's
 * keys sit on one master, the apps spread over more than one, and every notification is delivered.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis, createProducer, outcomeCounts, type RedisClient, routesFor } from '@pushfleet/queue';
import { type ClusterNodeAddress, startRedisCluster } from '@pushfleet/queue/redis-cluster';
import { createProviderKey, startSimulator } from '@pushfleet/simulator';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startWorkerProcess, stopWorkerProcess, writeAppFiles } from '../helpers/worker-process.js';

const APPS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const TOTAL = 20_000;
const topicOf = (app: string) => `com.example.cluster.${app}`;
const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'c1'.repeat(28)}`;

/** Which master holds each `{tag}` of the fleet's keys, read from the masters themselves (SCAN). */
async function tagsByMaster(masters: readonly ClusterNodeAddress[]): Promise<Map<string, Set<number>>> {
  const where = new Map<string, Set<number>>();
  for (const m of masters) {
    const node = new Redis({ host: m.host, port: m.port, maxRetriesPerRequest: 0 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', '{pushfleet:*', 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const tag = /^\{pushfleet:([^}]+)\}/.exec(key)![1]!;
          where.set(tag, (where.get(tag) ?? new Set()).add(m.port));
        }
      } while (cursor !== '0');
    } finally {
      node.disconnect();
    }
  }
  return where;
}

async function delivered(redis: RedisClient): Promise<number> {
  let sum = 0;
  for (const app of APPS) sum += (await outcomeCounts(redis, app)).delivered ?? 0;
  return sum;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Redis Cluster', () => {
  it('6 apps, 20,000 notifications, a master failed over mid-run: spread over masters, 0 lost', async () => {
    await using cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    const key = createProviderKey();
    await using sim = await startSimulator({
      keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
      topics: APPS.map(topicOf),
    });
    const files = writeAppFiles(sim, key);
    const apps = APPS.map((name) => ({
      name,
      topics: [topicOf(name)],
      environment: sim.url,
      caFile: files.caFile,
      credentials: { type: 'token', key: { file: files.keyFile }, keyId: key.keyId, teamId: key.teamId },
    }));
    const configFile = join(mkdtempSync(join(tmpdir(), 'pushfleet-cluster-')), 'fleet.json');
    writeFileSync(configFile, JSON.stringify({ apps }), { mode: 0o600 });
    // The worker is told the nodes as a list; the producer and the reads use the URL form.
    const seeds = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    // REDIS_URL empty and PUSHFLEET_CONFIG set: the nodes list and the file's six apps are what it reads.
    const worker = await startWorkerProcess({
      redisUrl: '',
      app: 'default',
      sim,
      key,
      files,
      env: { REDIS_URL: '', REDIS_CLUSTER_NODES: seeds, PUSHFLEET_CONFIG: configFile },
    });
    const producer = createProducer({
      redis: cluster.url,
      routes: routesFor(APPS.map((name) => ({ name, topics: [topicOf(name)] }))),
    });
    const { client: redis } = connectRedis(cluster.url);
    try {
      const ids: string[] = [];
      const enqueue = async (from: number, to: number) => {
        for (let i = from; i < to; i += 1000) {
          const batch = Array.from({ length: Math.min(1000, to - i) }, (_, k) => ({
            token: tokenOf(i + k),
            topic: topicOf(APPS[(i + k) % APPS.length]!),
            payload: { aps: { alert: `#${i + k}` } },
          }));
          ids.push(...(await producer.sendMany(batch)).ids);
        }
      };
      await enqueue(0, TOTAL / 2);
      await waitUntil('a quarter delivered', async () => sim.recorder.counters.accepted >= TOTAL / 4);

      // Fail over the master that holds the first app's queue, while its jobs are being worked.
      const mastersBefore = await cluster.masters();
      const alphaSlot = Number(await redis.cluster('KEYSLOT', '{pushfleet:alpha}'));
      const shardOfAlpha = await shardIndexOfSlot(redis, alphaSlot);
      const { from, to } = await cluster.failover(shardOfAlpha);
      expect(sim.recorder.counters.accepted).toBeLessThan(TOTAL);
      await enqueue(TOTAL / 2, TOTAL);

      await waitUntil('every notification delivered', async () => (await delivered(redis)) >= TOTAL);
      const seen = new Set(sim.recorder.accepted.map((r) => r.apnsId));
      expect(ids.filter((id) => !seen.has(id))).toEqual([]);
      for (const app of APPS) expect(Object.keys(await outcomeCounts(redis, app))).toEqual(['delivered']);

      // The failed-over master is a replica now and its replica the master.
      const mastersAfter = await cluster.masters();
      expect(mastersAfter.map((m) => m.port)).toContain(to.port);
      expect(mastersAfter.map((m) => m.port)).not.toContain(from.port);
      expect(mastersBefore.map((m) => m.port)).toContain(from.port);

      // Every app's keys (queue, status, outcomes...) on one master; the apps on more than one.
      const where = await tagsByMaster(mastersAfter);
      for (const app of APPS) expect([app, where.get(app)?.size]).toEqual([app, 1]);
      const mastersUsed = new Set(APPS.map((app) => [...where.get(app)!][0]));
      expect(mastersUsed.size).toBeGreaterThan(1);
      // The shared provider token and its lease share a slot too; one JWT served all six apps.
      const tokenTag = `token:${key.teamId}:${key.keyId}`;
      expect(where.get(tokenTag)?.size).toBe(1);
      expect(sim.recorder.counters.providerTokens).toBe(1);
      // The queue-depth gauges read every app's queue on the cluster (a failed read removes them).
      const metrics = await (await fetch(worker.metricsUrl)).text();
      for (const app of APPS)
        expect(metrics).toContain(`pushfleet_queue_jobs{app="${app}",state="waiting"} 0`);
      // And it is still ready after the failover.
      expect((await fetch(worker.metricsUrl.replace(/\/metrics$/, '/readyz'))).status).toBe(200);
    } finally {
      await producer.close();
      await stopWorkerProcess(worker);
      redis.disconnect();
    }
  }, 120_000);
});

/** The index (in slot order, as `failover` counts) of the shard serving `slot`. */
async function shardIndexOfSlot(redis: RedisClient, slot: number): Promise<number> {
  const ranges = (await redis.cluster('SLOTS')) as [number, number, ...unknown[]][];
  const starts = ranges.map(([start]) => start).sort((a, b) => a - b);
  const mine = ranges.find(([start, end]) => slot >= start && slot <= end)!;
  return starts.indexOf(mine[0]);
}
