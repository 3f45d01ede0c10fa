import {
  addDeadLetters,
  connectRedis,
  countDeadLetters,
  recordInvalidToken,
  validateNotification,
} from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
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
