/**
 * Start a private `redis-server` process on loopback: the local fleet's Redis (`npm start`), and one per
 * test file (so test files run in parallel without sharing state). Never a mock.
 *
 *   await using redis = await startRedisServer();   // free port, temp dir, no persistence
 *   const producer = createProducer({ redis: redis.url });
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  /** TCP port on 127.0.0.1. @defaultValue a free port */
  port?: number;
  /**
   * Data directory; made private (0700) and written with umask 077, so the data (job payloads, device
   * tokens) is readable by this user only. @defaultValue a new temporary directory, removed on close
   */
  dir?: string;
  /** Keep data across restarts (append-only file in `dir`). @defaultValue false */
  persist?: boolean;
  /** The binary. @defaultValue `redis-server` on PATH */
  binary?: string;
  /**
   * Give up waiting for readiness after this long without an answer. While it answers LOADING (reading a large
   * AOF or RDB back: a data dir of 1.3 GB took longer than 10 s) it is waited for up to `loadTimeoutMs`.
   * @defaultValue 10000
   */
  startTimeoutMs?: number;
  /** The most to wait while it loads its data. @defaultValue 600000 (10 minutes) */
  loadTimeoutMs?: number;
  /** More redis-server arguments, e.g. `['--cluster-enabled', 'yes']` (a Redis Cluster node). @defaultValue none */
  args?: readonly string[];
}

export interface RedisServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  close(): Promise<void>;
}

/** One line telling a person how to get redis-server on this system. */
export function redisInstallHint(): string {
  if (process.platform === 'darwin') return 'redis-server is not installed: run `brew install redis`';
  return 'redis-server is not installed: run `sudo apt-get install -y redis-server` (Debian/Ubuntu), or set REDIS_URL';
}

/** Path of redis-server on PATH, or undefined. */
export function findRedisServer(binary = 'redis-server'): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server';
  if (!findRedisServer(binary)) throw new Error(redisInstallHint());
  const tempDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pushfleet-redis-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // A port found free can be taken before redis binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      const child = await spawnRedis(
        binary,
        port,
        dir,
        options.persist ?? false,
        { startMs: options.startTimeoutMs ?? 10_000, loadMs: options.loadTimeoutMs ?? 600_000 },
        options.args ?? [],
      );
      return handle(child, port, dir, tempDir);
    } catch (err) {
      lastError = err;
      // Only a port taken meanwhile is worth another port; a server that would not start or load would not either.
      if (options.port !== undefined || !/already in use/i.test((err as Error).message)) break;
    }
  }
  if (tempDir) rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function spawnRedis(
  binary: string,
  port: number,
  dir: string,
  persist: boolean,
  timeouts: { readonly startMs: number; readonly loadMs: number },
  extraArgs: readonly string[],
) {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'];
  args.push('--save', '', '--appendonly', persist ? 'yes' : 'no', '--loglevel', 'warning', ...extraArgs);
  // umask 077 for redis alone: its RDB and AOF files (and the AOF directory) are created 0600 / 0700.
  const child = spawn('sh', ['-c', 'umask 077 && exec "$0" "$@"', binary, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Without a logfile redis logs to stdout, its reason for exiting ("Address already in use") included.
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-2000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return new Promise<ChildProcess>((resolve, reject) => {
    let done = false;
    const started = Date.now();
    let loading = false;
    const settle = (err?: Error) => {
      if (done) return;
      done = true;
      child.off('exit', onExit);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(child);
    };
    const onExit = (code: number | null) =>
      settle(new Error(`redis-server exited (${code}) on port ${port}: ${output.trim()}`));
    child.once('exit', onExit);
    child.once('error', (err) => settle(err));
    // Ready when it answers PING (its "ready" log line is below the warning level we run at).
    const poll = () => {
      if (done) return;
      const waited = Date.now() - started;
      if (loading && waited > timeouts.loadMs)
        return settle(
          new Error(`redis-server on port ${port} was still loading its data after ${timeouts.loadMs} ms`),
        );
      if (!loading && waited > timeouts.startMs)
        return settle(new Error(`redis-server did not answer on port ${port} within ${timeouts.startMs} ms`));
      pingRedis(port).then((answer) => {
        if (answer === 'pong') return settle();
        loading ||= answer === 'loading';
        setTimeout(poll, answer === 'loading' ? 100 : 20);
      });
    };
    setTimeout(poll, 10);
  });
}

/** What 127.0.0.1:port answers to PING: PONG, LOADING (alive, reading its data back), or nothing useful. */
function pingRedis(port: number): Promise<'pong' | 'loading' | 'none'> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const end = (answer: 'pong' | 'loading' | 'none') => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => end('none'));
    socket.on('error', () => end('none'));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n'))
        end(reply.startsWith('+PONG') ? 'pong' : reply.startsWith('-LOADING') ? 'loading' : 'none');
    });
  });
}

function handle(child: ChildProcess, port: number, dir: string, tempDir: boolean): RedisServer {
  let closing: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = () =>
    (closing ??= (async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      if (tempDir) rmSync(dir, { recursive: true, force: true });
    })());
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid: child.pid ?? -1,
    close,
    [Symbol.asyncDispose]: close,
  };
}
