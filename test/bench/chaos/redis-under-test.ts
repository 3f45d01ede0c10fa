/**
 * The Redis a chaos run delivers through, behind one interface so the run is the same on one Redis and on a
 * cluster: where it is (`url`, `nodes`), its one fault (`fault()`: what a deployment of that kind suffers),
 * and `close()`.
 *
 *   single    one redis-server with AOF on (appendfsync everysec, what a deployment runs); the fault is
 *             SIGKILL, then a restart on the same port and data directory after `downMs`
 *   cluster   not implemented here yet: Redis Cluster support and `startRedisCluster` are on branch `cluster`
 *             (packages/queue/src/redis-cluster.ts); its fault would be `cluster.failover(0, { kill: true })`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  if (kind === 'cluster') {
    throw new Error(
      '--redis cluster: not implemented yet (needs startRedisCluster and cluster URLs from branch `cluster`)',
    );
  }
  return startSingleRedis(options.downMs ?? 2000);
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
