/**
 * The built `pushfleet` command as a user runs it: `--help` on every command and subcommand exits 0, a
 * mistake says what to type instead (no stack trace), and send / status / feedback work against a real Redis.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordInvalidToken } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.js';

const cwd = mkdtempSync(join(tmpdir(), 'pushfleet-cli-')); // no running fleet here
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env, cwd });

const COMMANDS = [
  'start',
  'worker',
  'api',
  'board',
  'simulator',
  'send',
  'status',
  'feedback',
  'dlq',
  'reactivate',
  'resume',
  'doctor',
  'cert',
  'api-key',
];

describe.skipIf(!existsSync(CLI))('pushfleet (built)', () => {
  it('lists every command on --help and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const c of COMMANDS) expect(stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
  });

  it.each([
    ...COMMANDS.map((c) => [c, '--help']),
    ['dlq', 'list', '--help'],
    ['dlq', 'retry', 'shop', '-h'],
    ['cert', 'inspect', '--help'],
    ['cert', 'convert', '--help'],
    ['help', 'send'],
  ])('pushfleet %s %s %s exits 0 with its usage', async (...args) => {
    const { code, stdout, stderr } = await run(args.filter(Boolean) as string[]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: pushfleet /);
  });

  it.each([
    [
      ['start', '--api-port', '99999'],
      /--api-port: "99999" is not a port; give 1-65535, or 0 for a free one/,
    ],
    [['start', '--demo', 'lots'], /--demo: "lots" is not a whole number/],
    [['simulator', '--legacy-port', '70000'], /--legacy-port: "70000" is not a port/],
    [['simulator', '--dead-token', 'xyz'], /--dead-token: "xyz" is not a device token/],
    [['status', 'some-id'], /where is Redis\? pass --redis-url URL or set REDIS_URL/],
    [['send'], /--token HEX is required/],
    [['nope'], /unknown command "nope"/],
  ])('%j says what to do instead, exit 2, no stack trace', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('send, status and feedback work against the fleet Redis', { timeout: 30_000 }, async () => {
    await using redis = await startRedisServer();
    const env = { REDIS_URL: redis.url };
    const sent = await run(['send', '--token', 'ab'.repeat(32), '--alert', 'from the CLI'], env);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const id = /^enqueued ([0-9a-f-]{36}) \(app default\)/.exec(sent.stdout)?.[1];
    expect(id).toBeDefined();
    const status = await run(['status', id!], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${id}  app default  waiting`));
    const json = await run(['status', id!, '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ app: 'default', id, state: 'waiting' });
    const missing = await run(['status', '00000000-0000-4000-8000-000000000000'], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/not found in default/);
    const bad = await run(['send', '--token', 'nothex'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('pushfleet: token: must be hexadecimal (0-9, a-f)\n');

    const client = new Redis(redis.url);
    await recordInvalidToken(client, {
      app: 'default',
      token: 'cd'.repeat(32),
      reason: 'Unregistered',
      timestamp: 1_700_000_000_000,
      source: 'http2',
    });
    client.disconnect();
    const feedback = await run(['feedback', 'default'], env);
    expect(feedback.code).toBe(0);
    expect(feedback.stdout).toContain(`${'cd'.repeat(32)}  Unregistered`);
    expect(feedback.stdout).toContain('2023-11-14T22:13:20.000Z');
    expect(feedback.stdout).toMatch(/1 dead token for default\n$/);
  });

  it('api-key prints a key once and the config entry of its hash', async () => {
    const { code, stdout } = await run(['api-key', '--id', 'shop-backend', '--apps', 'shop,news']);
    expect(code).toBe(0);
    const key = /^key {5}(pf_\S+)$/m.exec(stdout)?.[1];
    const sha = /^sha256 {2}([0-9a-f]{64})$/m.exec(stdout)?.[1];
    expect(key).toBeDefined();
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(key!).digest('hex')).toBe(sha);
    expect(stdout).toContain(`PUSHFLEET_API_KEYS='shop-backend:${sha}:shop,news'`);
  });
});
