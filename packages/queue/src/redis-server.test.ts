/**
 * startRedisServer waits for a Redis that is reading a large data set back (it answers LOADING) past the
 * start timeout: `pushfleet start` on a data dir of 1.3 GB failed with "did not answer within 10000 ms". And
 * when it exits, the error carries its reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startRedisServer } from './redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'pushfleet-redis-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startRedisServer', () => {
  it('waits while the server loads its data, past the start timeout, and answers once loaded', async () => {
    // 20,000 keys saved to dump.rdb in the directory.
    const first = await startRedisServer({ dir });
    const writer = new Redis(first.url);
    const pipeline = writer.pipeline();
    for (let i = 0; i < 20_000; i++) pipeline.set(`k${i}`, 'v');
    await pipeline.exec();
    await writer.save();
    writer.disconnect();
    await first.close();

    // Loading them back takes ~3 s (Redis's own test switch: 150 µs a key), three times the start timeout.
    const loading = await startRedisServer({
      dir,
      startTimeoutMs: 1000,
      args: ['--key-load-delay', '150', '--loading-process-events-interval-bytes', '1024'],
    });
    const reader = new Redis(loading.url);
    try {
      expect(await reader.dbsize()).toBe(20_000);
    } finally {
      reader.disconnect();
      await loading.close();
    }
  }, 30_000);

  it('still gives up on a server that loads for longer than loadTimeoutMs, naming it', async () => {
    await expect(
      startRedisServer({
        dir,
        startTimeoutMs: 500,
        loadTimeoutMs: 1000,
        args: ['--key-load-delay', '150', '--loading-process-events-interval-bytes', '1024'],
      }),
    ).rejects.toThrow(/was still loading its data after 1000 ms/);
  }, 30_000);

  it('says why it exited: a cluster bus port another process holds (redis logs it on stdout)', async () => {
    // A cluster node listens on a second port too; CI saw one exit (1) with an empty reason.
    const [port, busPort] = [await freePort(), await freePort()];
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(busPort, '127.0.0.1', resolve));
    try {
      await expect(
        startRedisServer({
          port,
          args: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
        }),
      ).rejects.toThrow(new RegExp(`exited \\(1\\) on port ${port}: .*${busPort}.*already in use`, 's'));
    } finally {
      holder.close();
    }
  }, 30_000);
});
