import {
  addBroadcastDeadLetter,
  addDeadLetters,
  appBroadcastQueue,
  connectRedis,
  countBroadcastDeadLetters,
  countDeadLetters,
  recordInvalidToken,
  validateNotification,
} from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDlqCommand } from './dlq-command.js';
import { runReactivate } from './reactivate.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.close();
});

function capture() {
  let text = '';
  return { out: { write: (s: string) => (text += s) }, text: () => text };
}

async function seed(app: string, count: number): Promise<string[]> {
  const { client } = connectRedis(server.url);
  const now = Date.now();
  const entries = Array.from({ length: count }, (_, i) => {
    const notification = validateNotification({
      token: (i + 1).toString(16).padStart(64, '0'),
      topic: 'com.example.app',
      payload: { aps: { alert: `${i}` } },
    });
    return {
      app,
      notification,
      outcome: 'dead-lettered' as const,
      reason: 'retry horizon passed after 2 tries: ServiceUnavailable',
      attempts: [{ at: now, outcome: 'retry' as const, status: 503, reason: 'ServiceUnavailable' }],
      enqueuedAt: now - 1000,
      deadAt: now + i,
      jobId: notification.id,
    };
  });
  await addDeadLetters(client, app, entries);
  await client.quit();
  return entries.map((e) => e.notification.id);
}

describe('pushfleet dlq', () => {
  it('--help answers the usage and exits 0', async () => {
    const c = capture();
    expect(await runDlqCommand(['--help'], c.out)).toBe(0);
    expect(c.text()).toMatch(/^usage: pushfleet dlq <list\|show\|retry\|purge> APP/);
  });

  it('lists, shows, re-drives and purges an app’s dead letters', async () => {
    const ids = await seed('cli-dlq', 3);
    const redis = ['--redis-url', server.url];
    let c = capture();
    expect(await runDlqCommand(['list', 'cli-dlq', ...redis], c.out)).toBe(0);
    expect(c.text().split('\n')[0]).toBe('cli-dlq: 3 dead-lettered');
    expect(c.text()).toContain(`${ids[0]}  dead-lettered`);

    c = capture();
    expect(await runDlqCommand(['show', 'cli-dlq', ids[1]!, ...redis], c.out)).toBe(0);
    expect(JSON.parse(c.text())).toMatchObject({ notification: { id: ids[1] }, attempts: [{ status: 503 }] });

    c = capture();
    expect(await runDlqCommand(['retry', 'cli-dlq', ids[0]!, ...redis], c.out)).toBe(0);
    expect(c.text()).toBe("re-drove 1 of cli-dlq's dead letters\n");

    c = capture();
    expect(await runDlqCommand(['purge', 'cli-dlq', '--all', ...redis], c.out)).toBe(0);
    expect(c.text()).toBe("purged 2 of cli-dlq's dead letters\n");
    const { client } = connectRedis(server.url);
    expect(await countDeadLetters(client, 'cli-dlq')).toBe(0);
    await client.quit();
  });

  it('refuses retry or purge without ids or --all, naming what to add', async () => {
    await expect(runDlqCommand(['purge', 'cli-dlq', '--redis-url', server.url])).rejects.toThrow(
      'dlq purge: name the ids, or --all',
    );
  });
});

describe('pushfleet dlq --broadcasts', () => {
  it('lists the broadcasts and channel operations given up on, and re-drives them into the broadcasts queue', async () => {
    const { client } = connectRedis(server.url);
    const app = 'cli-bdlq';
    await addBroadcastDeadLetter(client, {
      app,
      job: {
        v: 1,
        app,
        enqueuedAt: 1_700_000_000_000,
        id: 'op-create-1',
        operation: { op: 'create', bundleId: 'com.example.app', storagePolicy: 0 },
      },
      outcome: 'dead-lettered',
      reason: 'retry horizon passed after 3 tries: ServiceUnavailable',
      attempts: 3,
      deadAt: 1_700_000_000_000,
    });
    const listed = capture();
    expect(await runDlqCommand(['list', app, '--broadcasts', '--redis-url', server.url], listed.out)).toBe(0);
    expect(listed.text()).toContain(`${app}: 1 broadcasts and channel operations dead-lettered`);
    expect(listed.text()).toContain('op-create-1  channel create');
    expect(listed.text()).toContain('ServiceUnavailable');

    const retried = capture();
    expect(
      await runDlqCommand(['retry', app, '--all', '--broadcasts', '--redis-url', server.url], retried.out),
    ).toBe(0);
    expect(retried.text()).toBe(`re-drove 1 of ${app}'s broadcast dead letters\n`);
    expect(await countBroadcastDeadLetters(client, app)).toBe(0);
    const { name, prefix } = appBroadcastQueue(app);
    const queue = new Queue(name, { connection: client, prefix });
    expect(await queue.getWaitingCount()).toBe(1);
    await queue.close();
    await expect(
      runDlqCommand(['purge', app, '--all', '--broadcasts', '--redis-url', server.url]),
    ).rejects.toThrow('only list and retry take --broadcasts');
    await client.quit();
  });
});

describe('pushfleet reactivate', () => {
  it('forgets a dead token and says what was recorded', async () => {
    const { client } = connectRedis(server.url);
    const token = 'fe'.repeat(32);
    await recordInvalidToken(client, {
      app: 'cli-re',
      token,
      reason: 'Unregistered',
      timestamp: 1_700_000_000_000,
      source: 'http2',
    });
    await client.quit();
    const c = capture();
    expect(await runReactivate(server.url, 'cli-re', token.toUpperCase(), c.out as never)).toBe(0);
    expect(c.text()).toBe(
      `reactivated ${token} for cli-re (recorded Unregistered at 2023-11-14T22:13:20.000Z)\n`,
    );
  });
});
