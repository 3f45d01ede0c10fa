/**
 * Where the fleet's Redis is, from the environment: one server or a Redis Cluster, as one URL every process
 * passes on unchanged (to `connectRedis`, to the worker processes it starts).
 *
 *   REDIS_URL=redis://[user:pass@]host:port                   one server (rediss:// for TLS)
 *   REDIS_URL=redis+cluster://[user:pass@]host:port,host:port a Redis Cluster, any of its nodes (rediss+cluster://)
 *   REDIS_CLUSTER_NODES=host:port,host:port                   the same cluster as a list (no password, no TLS)
 */
import { isClusterUrl, parseClusterNodes, parseClusterUrl, ValidationError } from '@pushfleet/queue';
import type { EnvironmentVariables } from './env-config.js';

const SCHEMES = /^(rediss?|rediss?\+cluster):\/\//i;

/**
 * The Redis URL the variables describe, or undefined when neither is set.
 * @throws ValidationError naming REDIS_URL or REDIS_CLUSTER_NODES and what is wrong (never echoing a password)
 */
export function redisUrlFromEnv(env: EnvironmentVariables): string | undefined {
  const url = env.REDIS_URL?.trim() || undefined;
  const nodes = env.REDIS_CLUSTER_NODES?.trim() || undefined;
  if (url !== undefined && nodes !== undefined)
    throw new ValidationError(
      'REDIS_CLUSTER_NODES',
      'is set together with REDIS_URL: set one (a cluster with a password or TLS: REDIS_URL=redis+cluster://user:pass@host:port,...)',
    );
  if (nodes !== undefined) {
    const seeds = parseClusterNodes(nodes, 'REDIS_CLUSTER_NODES');
    return `redis+cluster://${seeds.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',')}`;
  }
  if (url === undefined) return undefined;
  if (!SCHEMES.test(url))
    throw new ValidationError(
      'REDIS_URL',
      'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://',
    );
  if (isClusterUrl(url)) parseClusterUrl(url, 'REDIS_URL');
  return url;
}

/** {@link redisUrlFromEnv}, required. @throws ValidationError naming REDIS_URL when neither variable is set */
export function requiredRedisUrlFromEnv(env: EnvironmentVariables): string {
  const url = redisUrlFromEnv(env);
  if (url === undefined)
    throw new ValidationError(
      'REDIS_URL',
      'is required (redis://host:port; for a Redis Cluster redis+cluster://host:port,host:port or REDIS_CLUSTER_NODES)',
    );
  return url;
}
