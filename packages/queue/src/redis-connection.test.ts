import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { connectRedis, isClusterUrl, parseClusterUrl } from './redis-connection.js';

describe('parseClusterUrl', () => {
  it('reads the seed nodes, credentials and TLS of a redis+cluster:// URL', () => {
    expect(parseClusterUrl('redis+cluster://a:7000,b.example:7001/')).toEqual({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b.example', port: 7001 },
      ],
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://fleet:p%40ss@[::1]:7000')).toEqual({
      nodes: [{ host: '::1', port: 7000 }],
      username: 'fleet',
      password: 'p@ss',
      tls: true,
    });
  });

  it('refuses another scheme or a node without a port, naming the field', () => {
    expect(() => parseClusterUrl('redis://a:1', 'REDIS_URL')).toThrow(
      new ValidationError('REDIS_URL', 'must start with redis+cluster:// or rediss+cluster://'),
    );
    expect(() => parseClusterUrl('redis+cluster://:pw@a:1,b')).toThrow(/redis: "b" is not host:port/);
  });
});

describe('connectRedis', () => {
  it('opens a Cluster for a cluster URL and a Redis otherwise, each lazily closed here', () => {
    expect(isClusterUrl(' REDIS+CLUSTER://a:1')).toBe(true);
    const cluster = connectRedis('redis+cluster://127.0.0.1:1,127.0.0.1:2', { lazyConnect: true });
    const single = connectRedis('redis://127.0.0.1:1', { lazyConnect: true });
    try {
      expect(cluster.client).toBeInstanceOf(Cluster);
      expect(cluster.owned).toBe(true);
      // BullMQ's blocking reads need unlimited retries on every node connection.
      expect((cluster.client as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
      expect(single.client).toBeInstanceOf(Redis);
      expect(connectRedis(single.client)).toEqual({ client: single.client, owned: false });
    } finally {
      cluster.client.disconnect();
      single.client.disconnect();
    }
  });
});
