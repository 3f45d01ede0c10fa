/**
 * `pushfleet worker --processes N`: N worker processes against one Redis, each with its own /metrics port,
 * sharing one app's queue; Ctrl-C drains them all and exits 0.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createProducer, outcomeCounts, waitForNotifications } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { createProviderKey, startSimulator } from '@pushfleet/simulator';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freeConsecutivePorts, metricSum, writeAppFiles } from '../helpers/worker-process.js';

const CLI = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const TOPIC = 'com.example.workers';

describe('pushfleet worker --processes', () => {
  it('runs 2 worker processes that share the queue, each on its own metrics port, and stops both on SIGINT', async () => {
    await using redisServer = await startRedisServer();
    const key = createProviderKey();
    await using sim = await startSimulator({
      keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
      topics: [TOPIC],
      faults: { latencyMs: 5 },
    });
    const files = writeAppFiles(sim, key);
    const port = await freeConsecutivePorts(2);
    const child = spawn(process.execPath, [CLI, 'worker', '--processes', '2'], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: redisServer.url,
        PUSHFLEET_APP: 'workers',
        APNS_URL: sim.url,
        APNS_CA_FILE: files.caFile,
        APNS_KEY_FILE: files.keyFile,
        APNS_KEY_ID: key.keyId,
        APNS_TEAM_ID: key.teamId,
        PUSHFLEET_METRICS_PORT: String(port),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const redis = new Redis(redisServer.url);
    const producer = createProducer({ redis: redisServer.url, app: 'workers' });
    try {
      for (let i = 0; i < 200 && (log.match(/"msg":"worker ready"/g) ?? []).length < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect((log.match(/"msg":"worker ready"/g) ?? []).length, log).toBe(2);
      const baseline = { workers: await outcomeCounts(redis, 'workers') };
      await producer.sendMany(
        Array.from({ length: 2000 }, (_, i) => ({
          token: i.toString(16).padStart(64, '0'),
          topic: TOPIC,
          payload: { aps: { alert: `${i}` } },
        })),
      );
      const done = await waitForNotifications(redis, {
        baseline,
        expected: { workers: 2000 },
        timeoutMs: 30_000,
      });
      expect(done.byOutcome.delivered).toBe(2000);
      const urls = [port, port + 1].map((p) => `http://127.0.0.1:${p}/metrics`);
      const perProcess = await Promise.all(
        urls.map((u) => metricSum(u, 'pushfleet_notifications_total', 'outcome="delivered"')),
      );
      expect(perProcess.reduce((a, b) => a + b, 0)).toBe(2000);
    } finally {
      await producer.close();
      redis.disconnect();
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
