/** start's supervisor with real child processes: a crashed one is restarted and its death explained; one that keeps dying, or cannot be restarted, is given up on. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from './children.js';
import { type SupervisedProcess, supervise } from './supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'pushfleet-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in worker: reports ready, logs a line, then exits with `code` after `ms` (or never, for 0). */
function script(name: string, code: number, ms: number): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `process.send({ type: 'ready', pid: process.pid });
console.error('{"level":"error","msg":"${name} is about to exit"}');
${ms > 0 ? `setTimeout(() => process.exit(${code}), ${ms});` : 'setInterval(() => {}, 1000);'}
process.on('SIGTERM', () => process.exit(0));`,
  );
  return file;
}

describe('supervise', () => {
  it('restarts a worker that crashed once, saying how it died and what its log said', async () => {
    const lines: string[] = [];
    let starts = 0;
    const start = () => {
      starts++;
      // The first run crashes after 200 ms; the second stays up.
      process.env.PUSHFLEET_WORKER_MAIN = starts === 1 ? script('crash-once', 3, 200) : script('stays', 0, 0);
      return startChild('worker', {}, join(dir, 'logs-once'));
    };
    const p: SupervisedProcess = { name: 'worker', start, current: await start() };
    const supervisor = supervise([p], { say: (l) => lines.push(l), maxRestarts: 3, windowMs: 10_000 });
    await expect.poll(() => lines.some((l) => l === 'worker is running again'), { timeout: 8000 }).toBe(true);
    supervisor.stop();
    await p.current.stop();
    expect(starts).toBe(2);
    expect(lines[0]).toMatch(
      /^worker exited with code 3; its log \(.*worker\.log\) ends:\n.*crash-once is about to exit/,
    );
    expect(lines[1]).toMatch(/^restarting worker \(1 of at most 3 within 10 s\)/);
    delete process.env.PUSHFLEET_WORKER_MAIN;
  });

  it('gives up on a worker that keeps dying', { timeout: 20_000 }, async () => {
    const lines: string[] = [];
    process.env.PUSHFLEET_WORKER_MAIN = script('crash-always', 1, 50);
    const start = () => startChild('worker', {}, join(dir, 'logs-always'));
    const p: SupervisedProcess = { name: 'worker', start, current: await start() };
    const supervisor = supervise([p], { say: (l) => lines.push(l), maxRestarts: 2, windowMs: 10_000 });
    const reason = await supervisor.failed;
    supervisor.stop();
    await p.current.stop();
    expect(reason).toBe('worker died 3 times within 10 s; giving up');
    expect(lines.filter((l) => l.startsWith('worker exited with code 1'))).toHaveLength(3);
    delete process.env.PUSHFLEET_WORKER_MAIN;
  });

  it('gives up at once on a process that cannot be restarted, saying how it died', async () => {
    const lines: string[] = [];
    let starts = 0;
    process.env.PUSHFLEET_SIMULATOR_MAIN = script('sim-dies', 2, 100);
    const start = () => {
      starts++;
      return startChild('simulator', {}, join(dir, 'logs-sim'));
    };
    const p: SupervisedProcess = { name: 'simulator', start, current: await start(), restartable: false };
    const supervisor = supervise([p], { say: (l) => lines.push(l) });
    expect(await supervisor.failed).toBe('simulator died and cannot be restarted');
    supervisor.stop();
    expect(starts).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^simulator exited with code 2; its log \(.*simulator\.log\) ends:/);
    delete process.env.PUSHFLEET_SIMULATOR_MAIN;
  });
});
