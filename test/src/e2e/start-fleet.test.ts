/**
 * `pushfleet start` as a user meets it: the API it prints takes a notification with the key it prints
 * (and refuses one without), the simulator delivers it, and a worker killed under it is restarted with the
 * cause said; Ctrl-C stops everything with exit 0. The simulator runs in a process of its own; if it dies the
 * fleet stops with exit 1, saying why (the workers hold its port: it is not restarted).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'pushfleet-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Direct children of `pid` whose command line contains `needle`. */
function childPids(pid: number, needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `pushfleet start` on the test's data dir, with no Apple or Redis settings from the environment. */
function startFleet(extraArgs: readonly string[] = []) {
  const env = { ...process.env };
  for (const k of ['REDIS_URL', 'APNS_KEY_FILE', 'APNS_URL', 'PUSHFLEET_CONFIG', 'PUSHFLEET_API_KEYS'])
    delete env[k];
  const child = spawn(
    process.execPath,
    [cli, 'start', '--data-dir', dataDir, '--api-port', '0', '--metrics-port', '0', ...extraArgs],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (out.stdout += d));
  child.stderr.on('data', (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

describe.skipIf(!existsSync(cli) || !existsSync('/proc'))('pushfleet start', () => {
  it('serves the printed API with the printed key, and restarts a killed worker', {
    timeout: 90_000,
  }, async () => {
    const { child, out, exited } = startFleet();
    try {
      await until('the fleet', () => out.stdout.includes('Ctrl-C to stop.'), 60_000);
      const api = /^ {2}API {8}(http:\/\/127\.0\.0\.1:\d+)/m.exec(out.stdout)![1]!;
      const key = /^ {2}API key {4}(pf_\S+)/m.exec(out.stdout)![1]!;
      expect(readFileSync(join(dataDir, 'api-key'), 'utf8').trim()).toBe(key);
      const body = JSON.stringify({
        token: 'a1'.repeat(32),
        topic: 'com.example.pushfleet',
        payload: { aps: { alert: 'hi' } },
      });
      const post = (authorization?: string) =>
        fetch(`${api}/v1/notifications`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body,
        });
      expect((await post()).status).toBe(401);
      const res = await post(`Bearer ${key}`);
      expect(res.status).toBe(202);
      const { ids } = (await res.json()) as { ids: string[] };
      await until('delivered', async () => {
        const s = (await (
          await fetch(`${api}/v1/notifications/${ids[0]}`, { headers: { authorization: `Bearer ${key}` } })
        ).json()) as { state: string; outcome?: string };
        return s.state === 'final' && s.outcome === 'delivered';
      });

      const [worker] = childPids(child.pid!, 'worker/dist/main.js');
      expect(worker).toBeDefined();
      process.kill(worker!, 'SIGKILL');
      await until('the restart', () => out.stdout.includes('worker is running again'), 30_000);
      expect(out.stdout).toMatch(/^worker was killed by SIGKILL; its log \(.*worker\.log\) ends:/m);
      expect(out.stdout).toMatch(/^restarting worker \(1 of at most 5 within 60 s\)/m);
      const [again] = childPids(child.pid!, 'worker/dist/main.js');
      expect(again).toBeDefined();
      expect(again).not.toBe(worker);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out.stderr).not.toMatch(/pushfleet: /);
    expect(existsSync(join(dataDir, 'running.json'))).toBe(false);
  });

  it('runs the simulator in a child process, and stops with exit 1 naming it when that process dies', {
    timeout: 90_000,
  }, async () => {
    const { child, out, exited } = startFleet();
    try {
      await until('the fleet', () => out.stdout.includes('Ctrl-C to stop.'), 60_000);
      const [simulator] = childPids(child.pid!, 'cli/dist/simulator-main.js');
      expect(simulator).toBeDefined();
      const others = childPids(child.pid!, 'dist/main.js'); // the worker and the API
      expect(others).toHaveLength(2);
      process.kill(simulator!, 'SIGKILL');
      expect(await exited).toBe(1);
      expect(out.stdout).toMatch(/^simulator was killed by SIGKILL; its log \(.*simulator\.log\)/m);
      expect(out.stdout).toMatch(/^pushfleet: simulator died and cannot be restarted; stopping/m);
      await until('the worker and the API stopped', () => others.every((pid) => !alive(pid)), 20_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stops every child on Ctrl-C as `npm start` delivers it (a second SIGINT while stopping), with exit 0', {
    timeout: 90_000,
  }, async () => {
    const { child, out, exited } = startFleet();
    try {
      await until('the fleet', () => out.stdout.includes('Ctrl-C to stop.'), 60_000);
      const children = [
        ...childPids(child.pid!, 'redis-server'),
        ...childPids(child.pid!, 'dist/main.js'),
        ...childPids(child.pid!, 'simulator-main.js'),
      ];
      expect(children).toHaveLength(4); // Redis, the worker, the API and the simulator
      // The terminal's SIGINT, then the wrapper's forwarded one once the first is being handled: the second
      // used to kill the CLI mid-stop.
      child.kill('SIGINT');
      await until('the stop to begin', () => out.stdout.includes('stopping...'));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(children.filter(alive)).toEqual([]);
      expect(existsSync(join(dataDir, 'running.json'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stops the fleet when a demo is interrupted, saying so, with exit 1', { timeout: 90_000 }, async () => {
    const { child, out, exited } = startFleet(['--demo', '100000']);
    try {
      await until('the demo', () => out.stdout.includes('pushfleet is running'), 60_000);
      const children = [...childPids(child.pid!, 'redis-server'), ...childPids(child.pid!, 'dist/main.js')];
      expect(children.length).toBeGreaterThanOrEqual(3);
      child.kill('SIGTERM');
      expect(await exited).toBe(1);
      expect(out.stdout).toMatch(/^demo interrupted \(SIGTERM\); stopping/m);
      expect(out.stdout).not.toMatch(/^delivered /m);
      expect(children.filter(alive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
