// Make a fresh clone runnable: npm dependencies, redis-server, a build. Plain Node, no dependencies,
// because it runs before `npm install` has. Used by `npm start`, `npm test` and .ci/run.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
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
  // which `npm ci` then calls out of sync. install still honours the lock's versions.
  run('npm', ['install', '--no-audit', '--no-fund']);
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

/** Compile every workspace (Turborepo caches unchanged packages). */
export function build() {
  run(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only']);
}

export function main(fn) {
  try {
    fn();
  } catch (err) {
    say(err.message);
    process.exit(1);
  }
}
