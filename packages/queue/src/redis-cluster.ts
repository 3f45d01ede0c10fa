/**
 * Start a real Redis Cluster on loopback (`redis-server --cluster-enabled yes` per node, joined by
 * `redis-cli --cluster create`), for the tests, the chaos suite and the benchmark that show the fleet on a
 * cluster. Never a mock.
 *
 *   await using cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
 *   const producer = createProducer({ redis: cluster.url });      // redis+cluster://127.0.0.1:p1,...
 *   await cluster.failover(0);                                    // shard 0's replica takes over
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { findRedisServer, freePort, type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Masters, each owning an equal share of the 16384 slots. @defaultValue 3 (the fewest Redis accepts) */
  masters?: number;
  /** Replicas of each master. @defaultValue 1 */
  replicasPerMaster?: number;
  /**
   * How long a node may be unreachable before the others fail it over (`cluster-node-timeout`): short, so a
   * killed master is replaced within seconds. @defaultValue 1000
   */
  nodeTimeoutMs?: number;
  /** Give up waiting for the cluster (or a failover) after this long. @defaultValue 30000 */
  startTimeoutMs?: number;
  /** Each node keeps an append-only file (as a deployment does; benchmarks compare like with like). @defaultValue false */
  persist?: boolean;
}

export interface ClusterNodeAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisCluster extends AsyncDisposable {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...`: every node, for REDIS_URL or the SDK's `redis`. */
  readonly url: string;
  /** Every node started, masters first (their order at creation). */
  readonly nodes: readonly ClusterNodeAddress[];
  /** The masters now, one per shard, in slot order (shard 0 holds slot 0). */
  masters(): Promise<ClusterNodeAddress[]>;
  /**
   * Fail shard `masterIndex` (slot order, as in `masters()`) over to its replica: `CLUSTER FAILOVER` on the
   * replica (no write is lost), or with `kill: true` SIGKILL the master and wait for the election. Resolves
   * once every live node sees the new master and the cluster is ok.
   */
  failover(
    masterIndex: number,
    options?: { readonly kill?: boolean },
  ): Promise<{ readonly from: ClusterNodeAddress; readonly to: ClusterNodeAddress }>;
  /** Stop every node and remove their data. Idempotent. */
  stop(): Promise<void>;
}

interface NodeLine {
  readonly id: string;
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly masterId: string;
  readonly firstSlot: number;
}

const HOST = '127.0.0.1';

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  if (!Number.isInteger(masters) || masters < 3)
    throw new Error(`masters: Redis Cluster needs at least 3; got ${masters}`);
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new Error(`replicasPerMaster: must be a whole number; got ${replicas}`);
  if (!findRedisServer('redis-cli'))
    throw new Error('redis-cli is not installed: it comes with redis-server (Debian/Ubuntu: redis-tools)');
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const root = mkdtempSync(join(tmpdir(), 'pushfleet-redis-cluster-'));
  const servers: RedisServer[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(servers.map((s) => s.close()));
      rmSync(root, { recursive: true, force: true });
    })());
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const dir = join(root, `node-${i}`);
      mkdirSync(dir);
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')];
      args.push('--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1000));
      servers.push(await startClusterNode(dir, args, options.persist ?? false));
    }
    // redis-cli makes the first `masters` nodes masters and the rest their replicas.
    const addresses = servers.map((s) => `${HOST}:${s.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'],
      {
        timeout: timeoutMs,
      },
    );
    const killed = new Set<number>();
    const ports = () => servers.filter((s) => !killed.has(s.port)).map((s) => s.port);
    await waitUntil(() => clusterSettled(ports(), masters, replicas), timeoutMs, 'the cluster to be ok');

    return {
      url: `redis+cluster://${addresses.join(',')}`,
      nodes: servers.map((s) => ({ host: HOST, port: s.port })),
      async masters() {
        return (await shards(ports()[0]!)).map((m) => ({ host: HOST, port: m.port }));
      },
      async failover(masterIndex, failoverOptions = {}) {
        const lines = await clusterNodes(ports()[0]!);
        const shard = shardsOf(lines)[masterIndex];
        if (!shard) throw new Error(`failover: no shard ${masterIndex} (there are ${masters})`);
        const replica = lines.find((l) => !l.master && !l.failed && l.masterId === shard.id);
        if (!replica)
          throw new Error(`failover: shard ${masterIndex} (port ${shard.port}) has no live replica`);
        if (failoverOptions.kill) {
          const server = servers.find((s) => s.port === shard.port)!;
          killed.add(shard.port);
          process.kill(server.pid, 'SIGKILL');
        } else await command(replica.port, ['CLUSTER', 'FAILOVER']);
        await waitUntil(
          async () => {
            for (const port of ports()) {
              const now = await clusterNodes(port);
              if (!now.some((l) => l.port === replica.port && l.master && !l.failed)) return false;
            }
            return clusterOk(ports());
          },
          timeoutMs,
          `port ${replica.port} to take over shard ${masterIndex}`,
        );
        return { from: { host: HOST, port: shard.port }, to: { host: HOST, port: replica.port } };
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One command on one node, over a connection of its own (not the cluster client under test). */
async function command(port: number, args: readonly string[]): Promise<string> {
  const redis = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return String(await redis.call(args[0]!, ...args.slice(1)));
  } finally {
    redis.disconnect();
  }
}

/** `CLUSTER NODES` as this node sees it. */
async function clusterNodes(port: number): Promise<NodeLine[]> {
  const text = await command(port, ['CLUSTER', 'NODES']);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      // <id> <ip:port@cport> <flags> <master-id|-> <ping> <pong> <epoch> <link> <slot ranges...>
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      const first = slots.map((s) => Number(s.split('-')[0])).filter((n) => Number.isInteger(n));
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        master: flags!.split(',').includes('master'),
        failed: /fail/.test(flags!),
        masterId: masterId!,
        firstSlot: first.length > 0 ? Math.min(...first) : Number.POSITIVE_INFINITY,
      };
    });
}

/** The masters that own slots, in slot order. */
function shardsOf(lines: readonly NodeLine[]): NodeLine[] {
  return lines
    .filter((l) => l.master && !l.failed && Number.isFinite(l.firstSlot))
    .sort((a, b) => a.firstSlot - b.firstSlot);
}

async function shards(port: number): Promise<NodeLine[]> {
  return shardsOf(await clusterNodes(port));
}

async function clusterOk(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    const info = await command(port, ['CLUSTER', 'INFO']);
    if (!/^cluster_state:ok/m.test(info) || !/^cluster_slots_ok:16384/m.test(info)) return false;
  }
  return true;
}

/** Every node agrees: all slots served, every master has its replicas, and replicas are in sync. */
async function clusterSettled(ports: readonly number[], masters: number, replicas: number): Promise<boolean> {
  if (!(await clusterOk(ports))) return false;
  for (const port of ports) {
    const lines = await clusterNodes(port);
    if (shardsOf(lines).length !== masters || lines.filter((l) => !l.master).length !== masters * replicas)
      return false;
    const role = await command(port, ['INFO', 'replication']);
    if (/^role:slave/m.test(role) && !/^master_link_status:up/m.test(role)) return false;
  }
  return true;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`redis cluster: waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One node on free ports for its clients and its cluster bus: the bus defaults to port + 10,000, which another
 * process can hold (or which passes 65,535), and the node then exits; a port taken meanwhile is tried again.
 */
async function startClusterNode(
  dir: string,
  args: readonly string[],
  persist: boolean,
): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const [port, busPort] = [await freePort(), await freePort()];
    if (port === busPort) continue;
    try {
      return await startRedisServer({
        dir,
        port,
        persist,
        args: [...args, '--cluster-port', String(busPort)],
      });
    } catch (err) {
      lastError = err;
      if (!/already in use/i.test((err as Error).message)) break;
    }
  }
  throw lastError;
}
