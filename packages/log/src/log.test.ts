import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from './create-logger.js';
import { OutageLog } from './outage-log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with an ISO time, a level name, the process name and the fields given', () => {
    const out = capture();
    const log = createLogger({ name: 'worker', destination: out.destination });
    log.warn({ app: 'demo', job: '17', notification: 'abc' }, 'notification dead-lettered');
    expect(out.lines).toHaveLength(1);
    const line = out.lines[0]!;
    expect(line).toMatchObject({
      level: 'warn',
      name: 'worker',
      app: 'demo',
      job: '17',
      notification: 'abc',
      msg: 'notification dead-lettered',
      pid: process.pid,
    });
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
  });

  it('drops lines below the configured level', () => {
    const out = capture();
    const log = createLogger({ name: 'worker', level: 'warn', destination: out.destination });
    log.info('not shown');
    log.debug('not shown');
    log.error('shown');
    expect(out.lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it('censors secrets by path at the top level and nested, wherever a caller put them', () => {
    const out = capture();
    const log = createLogger({ name: 'worker', destination: out.destination });
    const secret = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg';
    log.info(
      {
        passphrase: 'hunter2-passphrase',
        auth: { kind: 'token', keyPem: secret, keyId: 'ABC123DEFG' },
        app: { name: 'demo', credentials: { password: 'p4ss', token: 'dead'.repeat(16) } },
        headers: { authorization: 'bearer eyJhbGciOi' },
      },
      'options',
    );
    const text = out.raw.join('\n');
    for (const s of [secret, 'hunter2-passphrase', 'p4ss', 'dead'.repeat(16), 'eyJhbGciOi'])
      expect(text).not.toContain(s);
    expect(out.lines[0]).toMatchObject({
      passphrase: REDACTED,
      auth: { kind: 'token', keyPem: REDACTED, keyId: 'ABC123DEFG' },
      headers: { authorization: REDACTED },
    });
  });
});

describe('OutageLog', () => {
  it('logs one line when a thing starts failing and one with the count when it is back', () => {
    const out = capture();
    let now = 1_000;
    const outages = new OutageLog(createLogger({ name: 'worker', destination: out.destination }), {
      now: () => now,
    });
    for (let i = 0; i < 500; i++) outages.failed('redis', new Error(`connect ECONNREFUSED ${i}`));
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ level: 'warn', what: 'redis', error: 'connect ECONNREFUSED 0' });
    expect(outages.isFailing('redis')).toBe(true);
    now += 4_000;
    outages.recovered('redis');
    outages.recovered('redis');
    expect(out.lines).toHaveLength(2);
    expect(out.lines[1]).toMatchObject({ level: 'info', what: 'redis', errors: 500, downMs: 4_000 });
    outages.failed('redis', new Error('again'));
    expect(out.lines).toHaveLength(3);
  });

  it('reminds with the count so far while an outage lasts, once per reminder period', () => {
    const out = capture();
    let now = 0;
    const outages = new OutageLog(createLogger({ name: 'worker', destination: out.destination }), {
      now: () => now,
      reminderMs: 60_000,
    });
    for (; now <= 180_000; now += 1_000) outages.failed('queue demo', new Error('down'));
    // first line + reminders at 60 s, 120 s and 180 s
    expect(out.lines.map((l) => l.errors ?? 1)).toEqual([1, 61, 121, 181]);
    outages.failed('other', 'x');
    outages.recoveredAll();
    expect(out.lines.slice(-2).map((l) => l.what)).toEqual(['queue demo', 'other']);
  });
});
