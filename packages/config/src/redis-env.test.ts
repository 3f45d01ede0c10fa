import { ValidationError } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import { redisUrlFromEnv, requiredRedisUrlFromEnv } from './redis-env.js';

/** The ValidationError `fn` throws (fails the test when it throws nothing or something else). */
function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('redisUrlFromEnv', () => {
  it('passes REDIS_URL on as given, a single server or a cluster', () => {
    expect(redisUrlFromEnv({ REDIS_URL: ' redis://10.0.0.5:6379/2 ' })).toBe('redis://10.0.0.5:6379/2');
    expect(redisUrlFromEnv({ REDIS_URL: 'rediss+cluster://:s3cret@a:7000,b:7001' })).toBe(
      'rediss+cluster://:s3cret@a:7000,b:7001',
    );
  });

  it('turns REDIS_CLUSTER_NODES into a redis+cluster:// URL (IPv6 in brackets)', () => {
    expect(redisUrlFromEnv({ REDIS_CLUSTER_NODES: 'redis-0:6379, redis-1:6379,[::1]:7002' })).toBe(
      'redis+cluster://redis-0:6379,redis-1:6379,[::1]:7002',
    );
  });

  it('is undefined when neither is set (empty counts as unset), and required says what to set', () => {
    expect(redisUrlFromEnv({ REDIS_URL: '', REDIS_CLUSTER_NODES: ' ' })).toBeUndefined();
    const err = refusal(() => requiredRedisUrlFromEnv({}));
    expect(err.field).toBe('REDIS_URL');
    expect(err.problem).toMatch(/is required .*REDIS_CLUSTER_NODES/);
  });

  it('refuses a node that is not host:port, naming the variable and the entry', () => {
    const err = refusal(() => redisUrlFromEnv({ REDIS_CLUSTER_NODES: 'a:6379,b' }));
    expect(err.field).toBe('REDIS_CLUSTER_NODES');
    expect(err.problem).toBe('"b" is not host:port (a port from 1 to 65535)');
    expect(refusal(() => redisUrlFromEnv({ REDIS_CLUSTER_NODES: 'a:70000' })).problem).toMatch(/"a:70000"/);
  });

  it('refuses both at once, and a cluster URL with a bad node, without echoing its password', () => {
    expect(
      refusal(() => redisUrlFromEnv({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER_NODES: 'a:1' })).field,
    ).toBe('REDIS_CLUSTER_NODES');
    const err = refusal(() => redisUrlFromEnv({ REDIS_URL: 'redis+cluster://:hunter2@a:7000,b' }));
    expect(err.field).toBe('REDIS_URL');
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses a URL of another scheme', () => {
    const err = refusal(() => redisUrlFromEnv({ REDIS_URL: 'http://a:6379' }));
    expect(err.field).toBe('REDIS_URL');
    expect(err.problem).toMatch(/must start with redis:\/\//);
  });
});
