/**
 * Fleet processes started by `pushfleet start`: the worker, the API and the bundled simulator run as child
 * processes (apps never import each other), each reporting `{ type: 'ready', ... }` over IPC once it listens.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FleetChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly ready: Record<string, unknown>;
  readonly logFile: string;
  stop(): Promise<void>;
}

export type AppProcess = 'worker' | 'api' | 'board' | 'simulator';

/** Where each process's entry point is, beside this CLI in the monorepo. */
const APP_MAINS: Record<AppProcess, string> = {
  worker: '../../worker/dist/main.js',
  api: '../../api/dist/main.js',
  board: '../../api/dist/board-main.js',
  simulator: './simulator-main.js',
};

/** Entry point of an app's process, beside this CLI in the monorepo (override with PUSHFLEET_<NAME>_MAIN). */
export function appMain(name: AppProcess): string {
  const override = process.env[`PUSHFLEET_${name.toUpperCase()}_MAIN`];
  const path = override ?? fileURLToPath(new URL(APP_MAINS[name], import.meta.url));
  if (!existsSync(path)) throw new Error(`${name}: ${path} not found; run \`npm run build\` first`);
  return path;
}

/** `preferred` if it is free on host, else a free port. */
export async function pickPort(preferred: number, host = '127.0.0.1'): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen(port, host, () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? 0;
}

export async function startChild(
  name: 'worker' | 'api' | 'simulator',
  env: Record<string, string>,
  logDir: string,
  timeoutMs = 30_000,
): Promise<FleetChild> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = fork(appMain(name), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not report ready within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const tail = existsSync(logFile)
        ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n')
        : '';
      reject(new Error(`${name} ${why}${tail ? `; its log (${logFile}) ends:\n${tail}` : ''}`));
    };
    const onExit = (code: number | null) => fail(`exited with code ${code}`);
    child.once('exit', onExit);
    child.on('message', (msg: unknown) => {
      if (typeof msg === 'object' && msg !== null && (msg as { type?: string }).type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(msg as Record<string, unknown>);
      }
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    })());
  return { name, process: child, ready, logFile, stop };
}
