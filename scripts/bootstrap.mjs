// Make a fresh clone runnable: npm dependencies, redis-server, a build. Plain Node, no dependencies,
// because it runs before `npm install` has. Used by `npm start`, `npm test` and .ci/run.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const say = (msg) => process.stderr.write(`[pushfleet] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** npm install when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  say('installing npm dependencies (first run)...');
  // `npm install` rather than `npm ci`: npm 11 here writes locks without other platforms' optional binaries,
  // which `npm ci` then calls out of sync. install still honours the lock's versions. --no-save: starting or
  // testing never rewrites package.json or package-lock.json (a saving install rewrites the lock whenever it
  // is out of step with package.json or with this platform's optional packages, leaving the tree modified);
  // changing dependencies stays an explicit `npm install <pkg>`.
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save']);
}

/** redis-server on PATH, installing it with the system package manager when we can. */
export function ensureRedisServer() {
  if (has('redis-server')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (process.platform === 'linux' && has('apt-get') && (isRoot || has('sudo'))) {
    say('redis-server is missing: installing it with apt-get...');
    const sudo = isRoot ? [] : ['sudo', '-n'];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (args) =>
      run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(isRoot ? [] : ['apt-get']), ...args], { env });
    try {
      apt(['update', '-qq']);
      apt(['install', '-y', '-qq', 'redis-server']);
    } catch (err) {
      throw new Error(
        `could not install redis-server (${err.message}); run: sudo apt-get install -y redis-server`,
      );
    }
    // Debian starts a system-wide redis on 6379; we run our own per fleet and per test file.
    if (has('redis-server')) return;
  }
  const hint =
    process.platform === 'darwin'
      ? 'redis-server is not installed: run `brew install redis`'
      : 'redis-server is not installed: run `sudo apt-get install -y redis-server` (or set REDIS_URL)';
  throw new Error(hint);
}

/** Compile every workspace (Turborepo caches unchanged packages), then link the CLI it built. */
export function build() {
  run(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only']);
  linkCli();
}

/**
 * node_modules/.bin/pushfleet -> the built CLI. npm links workspace bins at install time, which on a fresh
 * clone is before the build has made apps/cli/dist/main.js, so the link (and its executable bit) may be
 * missing; made here after every build instead. Touches nothing git tracks.
 */
export function linkCli() {
  const target = join(root, 'apps', 'cli', 'dist', 'main.js');
  if (!existsSync(target)) return;
  chmodSync(target, 0o755);
  const bin = join(root, 'node_modules', '.bin', 'pushfleet');
  const relativeTarget = join('..', '@pushfleet', 'cli', 'dist', 'main.js');
  try {
    if (lstatSync(bin).isSymbolicLink() && readlinkSync(bin) === relativeTarget) return;
    rmSync(bin, { force: true });
  } catch {
    // not there yet
  }
  mkdirSync(dirname(bin), { recursive: true });
  symlinkSync(relativeTarget, bin);
}

export function main(fn) {
  try {
    fn();
  } catch (err) {
    say(err.message);
    process.exit(1);
  }
}
