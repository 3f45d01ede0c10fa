import { connectRedis, getAppPause, pauseApp } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResume } from './resume.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.close();
});

describe('pushfleet resume', () => {
  it('lifts a credentials pause and says what it was', async () => {
    const { client } = connectRedis(server.url);
    expect(await pauseApp(client, 'shop', 'InvalidProviderToken', 'host:1')).toBe(true);
    expect(await pauseApp(client, 'shop', 'BadCertificate', 'host:2')).toBe(false); // the first reason is kept
    let text = '';
    const code = await runResume(server.url, 'shop', { write: (s: string) => (text += s) } as never);
    expect(code).toBe(0);
    expect(text).toMatch(/^resumed shop \(paused since .* for InvalidProviderToken, by host:1\)$/m);
    expect(await getAppPause(client, 'shop')).toBeUndefined();
    await client.quit();
  });
});
