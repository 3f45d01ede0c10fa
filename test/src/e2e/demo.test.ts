/**
 * The README's quick start: `pushfleet start --demo 1000` (what `npm start -- --demo 1000` runs) brings
 * up Redis, the simulator, a worker process and the API, delivers 1,000 notifications and exits 0.
 * Runs the built CLI (npm test builds first).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/run-cli.js';

const dataDir = mkdtempSync(join(tmpdir(), 'pushfleet-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('pushfleet start --demo', () => {
  it('delivers 1000/1000 through a real Redis, worker process and simulator, then exits 0', async () => {
    if (!existsSync(CLI)) return expect.fail(`${CLI} is missing: run npm run build (npm test does)`);
    const { code, stdout, stderr } = await runCli(
      ['start', '--demo', '1000', '--data-dir', dataDir, '--api-port', '0', '--metrics-port', '0'],
      { timeoutMs: 90_000 },
    );
    expect(stderr).not.toMatch(/pushfleet: /);
    expect(stdout).toMatch(/^ {2}API {8}http:\/\/127\.0\.0\.1:\d+/m);
    expect(stdout).toMatch(/^ {2}metrics {4}http:\/\/127\.0\.0\.1:\d+\/metrics/m);
    // The demo's simulator plays production, as bench:e2e's does, so their rates compare.
    expect(stdout).toMatch(
      /^ {2}simulator {2}https:\/\/127\.0\.0\.1:\d+ {2}\(APNs HTTP\/2 as production, for the demo,/m,
    );
    // The warm-up goes first and is not counted: the demo's own 1,000 are exactly what it reports.
    expect(stdout).toMatch(/^warm-up: 5000 notifications ended in \d+\.\d\d s \(not counted\)$/m);
    expect(stdout.indexOf('warm-up:')).toBeLessThan(stdout.indexOf('delivered 1000'));
    expect(stdout).toMatch(/^delivered 1000\/1000 in \d+\.\d\d s \(\d+\/s\)$/m);
    expect(code).toBe(0);
    // Redis data and the simulator's credentials live under the data dir.
    expect(readdirSync(join(dataDir, 'simulator'))).toContain('credentials.json');
    expect(existsSync(join(dataDir, 'redis'))).toBe(true);
  }, 120_000);

  it('refuses a bad --demo value with a usage error', async () => {
    if (!existsSync(CLI)) return expect.fail(`${CLI} is missing: run npm run build (npm test does)`);
    const { code, stderr } = await runCli(['start', '--demo', 'lots'], { timeoutMs: 10_000 });
    expect(code).toBe(2);
    expect(stderr).toContain('--demo: "lots" is not a whole number');
  });
});
