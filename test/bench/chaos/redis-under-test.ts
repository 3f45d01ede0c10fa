/**
 * The Redis a chaos run delivers through, behind one interface so the run is the same on one Redis and on a
 * cluster: where it is (`url`, `nodes`), its one fault (`fault()`: what a deployment of that kind suffers),
 * and `close()`.
 *
 *   single    one redis-server with AOF on (appendfsync everysec, what a deployment runs); the fault is
 *             SIGKILL, then a restart on the same port and data directory after `downMs`
 *   cluster   a Redis Cluster of 3 masters and 3 replicas on loopback, AOF on every node
 *             (`startRedisCluster`); the fault is SIGKILL of the master of the first shard, whose replica takes
 *             over (Redis replicates asynchronously: a write acknowledged just before the kill can be lost)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisCluster } from '@pushfleet/queue/redis-cluster';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';

export type RedisKind = 'single' | 'cluster';

export interface RedisUnderTest {
  readonly kind: RedisKind;
  /** REDIS_URL for the workers and the SDK. */
  readonly url: string;
  /** Every node, host:port. */
  readonly nodes: readonly string[];
  /** Inflict the fault; resolves once Redis serves again, with what was done (for the timeline). */
  fault(): Promise<string>;
  close(): Promise<void>;
}

export interface RedisUnderTestOptions {
  /** How long the killed Redis stays down before it is restarted. @defaultValue 2000 */
  readonly downMs?: number;
}

export async function startRedisUnderTest(
  kind: RedisKind,
  options: RedisUnderTestOptions = {},
): Promise<RedisUnderTest> {
  if (kind === 'cluster') return startClusterRedis();
  return startSingleRedis(options.downMs ?? 2000);
}

async function startClusterRedis(): Promise<RedisUnderTest> {
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, persist: true });
  return {
    kind: 'cluster',
    url: cluster.url,
    nodes: cluster.nodes.map((n) => `${n.host}:${n.port}`),
    async fault() {
      const { from, to } = await cluster.failover(0, { kill: true });
      return `master ${from.port} SIGKILLed, its replica ${to.port} took over`;
    },
    close: () => cluster.stop(),
  };
}

async function startSingleRedis(downMs: number): Promise<RedisUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-chaos-redis-'));
  let server: RedisServer = await startRedisServer({ dir, persist: true });
  const port = server.port;
  // A runner that dies (an exception, Ctrl-C) must not leave its redis-server behind.
  process.once('exit', () => {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return {
    kind: 'single',
    url: server.url,
    nodes: [`127.0.0.1:${port}`],
    async fault() {
      // SIGKILL: no shutdown save; only what the AOF holds comes back.
      process.kill(server.pid, 'SIGKILL');
      await server.close(); // waits for the exit (the directory is ours, so it stays)
      await new Promise((r) => setTimeout(r, downMs));
      server = await startRedisServer({ dir, persist: true, port, startTimeoutMs: 60_000 });
      return `Redis SIGKILLed, restarted from its AOF after ${downMs / 1000} s`;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
