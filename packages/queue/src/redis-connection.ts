/**
 * How the SDK, the worker and the API talk to Redis: one connection helper for BullMQ (a single server or a
 * Redis Cluster), and the fail-fast options and readiness wait that make a call give up within its timeout
 * instead of queueing behind an outage.
 *
 *   redis://[user:pass@]host:port[/db]                 one server (rediss:// for TLS)
 *   redis+cluster://[user:pass@]host:port,host:port    a Redis Cluster: any of its nodes (rediss+cluster:// for TLS)
 */
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError, ValidationError } from './errors.js';

/** A connection to the fleet's Redis: one server, or a Redis Cluster (every key of an app in one slot). */
export type RedisClient = Redis | Cluster;

/** Redis to use: a URL, ioredis options, or an ioredis client the caller owns (it is not closed by us). */
export type RedisTarget = string | RedisOptions | RedisClient;

/** The URL schemes of a Redis Cluster. */
const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//i;

/** Where a Redis Cluster is: its seed nodes and the credentials and TLS every node shares. */
export interface ClusterAddress {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

/** Is this a `redis+cluster://` (or `rediss+cluster://`) URL? */
export function isClusterUrl(url: string): boolean {
  return CLUSTER_SCHEME.test(url.trim());
}

/**
 * Read a `redis+cluster://[user:pass@]host:port,host:port` URL.
 * @throws ValidationError naming `field` and what is wrong (without echoing a password)
 */
export function parseClusterUrl(url: string, field = 'redis'): ClusterAddress {
  const scheme = CLUSTER_SCHEME.exec(url.trim());
  if (!scheme) throw new ValidationError(field, 'must start with redis+cluster:// or rediss+cluster://');
  let rest = url.trim().slice(scheme[0].length).replace(/\/+$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    username = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : '') || undefined;
    password = colon >= 0 ? decodeURIComponent(auth.slice(colon + 1)) : decodeURIComponent(auth);
  }
  const nodes = parseClusterNodes(rest, field);
  return {
    nodes,
    tls: scheme[1]!.toLowerCase() === 'rediss',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/**
 * Read `host:port,host:port` (a cluster's seed nodes, REDIS_CLUSTER_NODES).
 * @throws ValidationError naming `field` and the entry that is not host:port
 */
export function parseClusterNodes(
  list: string,
  field = 'REDIS_CLUSTER_NODES',
): { host: string; port: number }[] {
  const entries = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new ValidationError(field, 'names no node: give host:port[,host:port...]');
  return entries.map((entry) => {
    const m = /^(\[[0-9a-f:]+\]|[^:/\s[\]]+):(\d{1,5})$/i.exec(entry);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535)
      throw new ValidationError(field, `"${entry}" is not host:port (a port from 1 to 65535)`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** Open an ioredis connection (or cluster) suitable for BullMQ, or return the caller's. */
export function connectRedis(
  target: RedisTarget,
  extra: RedisOptions = {},
): { client: RedisClient; owned: boolean } {
  if (target instanceof Redis || target instanceof Cluster) return { client: target, owned: false };
  const opts: RedisOptions = { maxRetriesPerRequest: null, ...extra };
  if (typeof target === 'string' && isClusterUrl(target))
    return { client: openCluster(parseClusterUrl(target), opts), owned: true };
  const client = typeof target === 'string' ? new Redis(target, opts) : new Redis({ ...target, ...opts });
  return { client, owned: true };
}

/** A Cluster whose every node connection gets `opts` (the offline queue is a cluster-level option in ioredis). */
function openCluster(address: ClusterAddress, opts: RedisOptions): Cluster {
  const { enableOfflineQueue, ...nodeOptions } = opts;
  const nodes: ClusterNode[] = address.nodes.map((n) => ({ host: n.host, port: n.port }));
  const options: ClusterOptions = {
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    redisOptions: {
      ...nodeOptions,
      ...(address.username ? { username: address.username } : {}),
      ...(address.password ? { password: address.password } : {}),
      ...(address.tls ? { tls: {} } : {}),
    },
  };
  return new Cluster(nodes, options);
}

/**
 * Options for a producer's connection: fail fast instead of queueing. No offline queue (a command sent while
 * Redis is away fails at once) and no re-send of commands cut off by a disconnect, so nothing the caller
 * gave up on is enqueued later. (No ioredis commandTimeout: BullMQ's blocking reads share these options.)
 */
export function failFastRedisOptions(timeoutMs: number): RedisOptions {
  return {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    connectTimeout: timeoutMs,
  };
}

/** Resolve once `client` is ready, or reject with RedisUnavailableError after `timeoutMs`. */
export async function redisReady(client: RedisClient, timeoutMs: number, where: string): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new RedisUnavailableError(where, timeoutMs));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** ioredis's words for "the connection is not there" (offline queue off, closed, timed out, cluster not ready). */
export function isConnectionError(err: unknown): boolean {
  const message = (err as Error)?.message ?? '';
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|max retries per request|Cluster isn't ready|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes is available|TRYAGAIN/i.test(
    message,
  );
}
