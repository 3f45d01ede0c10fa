/** `pushfleet channels`: the registry listed, operations enqueued for the worker, usage mistakes named. */
import { connectRedis, createProducer, recordChannel } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChannels } from './channels-command.js';
import { UsageError } from './cli-options.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
  process.env.PUSHFLEET_APP = 'default';
});
afterAll(async () => {
  delete process.env.PUSHFLEET_APP;
  await server.close();
});

function capture() {
  let text = '';
  return { out: { write: (s: string) => (text += s) }, text: () => text };
}

describe('pushfleet channels', () => {
  it('lists the live channels against the 10,000 limit; --all shows deleted ones', async () => {
    const { client } = connectRedis(server.url);
    await recordChannel(client, 'default', {
      id: 'AAAA',
      bundleId: 'com.example.app',
      storagePolicy: 0,
      createdAt: 1,
      source: 'created',
    });
    await recordChannel(client, 'default', {
      id: 'BBBB',
      bundleId: 'com.example.app',
      storagePolicy: 1,
      createdAt: 2,
      deletedAt: 3,
      source: 'reconciled',
    });
    await client.quit();
    const live = capture();
    expect(await runChannels(['list', 'default', '--redis-url', server.url], live.out)).toBe(0);
    expect(live.text()).toMatch(/^AAAA {2}com\.example\.app {2}policy 0 {2}created/);
    expect(live.text()).not.toContain('BBBB');
    expect(live.text()).toContain('1 live channel of 10,000 for default');
    const all = capture();
    await runChannels(['list', 'default', '--all', '--redis-url', server.url], all.out);
    expect(all.text()).toMatch(/BBBB .* deleted 1970/);
  });

  it('create enqueues a channel operation for the worker', async () => {
    const c = capture();
    const args = [
      'create',
      'default',
      '--storage-policy',
      '1',
      '--bundle-id',
      'com.example.app',
      '--redis-url',
      server.url,
    ];
    expect(await runChannels(args, c.out)).toBe(0);
    const id = /^create (\S+) enqueued for default/.exec(c.text())?.[1];
    expect(id).toBeDefined();
    const producer = createProducer({ redis: server.url });
    expect((await producer.broadcastStatus('default', id!)).state).toBe('waiting');
    await producer.close();
  });

  it('names what is missing', async () => {
    const r = ['--redis-url', server.url];
    await expect(runChannels(['create', 'default', '--bundle-id', 'com.example.app', ...r])).rejects.toThrow(
      /--storage-policy 0 or 1/,
    );
    await expect(runChannels(['create', 'default', '--storage-policy', '0', ...r])).rejects.toThrow(
      /pass --bundle-id/,
    );
    await expect(runChannels(['delete', 'default', ...r])).rejects.toThrow(UsageError);
    await expect(runChannels(['rename', 'default', ...r])).rejects.toThrow(
      /say list, create, delete or sync/,
    );
  });
});
