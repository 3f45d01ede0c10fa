/**
 * `pushfleet worker`, `pushfleet api` and `pushfleet board`: run that process in the foreground, its output
 * on this terminal, until it exits or Ctrl-C; the exit status is the process's. (Apps never import each
 * other, so the CLI runs theirs as processes, as `pushfleet start` does.)
 */
import { fork } from 'node:child_process';
import { type AppProcess, appMain } from './children.js';

/**
 * Run `copies` processes of `name` (each with `envOf(i)` on top of this process's environment) until all have
 * exited; Ctrl-C and SIGTERM reach every one. The exit status is 0 only when every one exited 0 (or by the
 * signal we forwarded).
 */
export async function runAppProcess(
  name: AppProcess,
  env: Record<string, string> = {},
  copies = 1,
  envOf: (index: number) => Record<string, string> = () => ({}),
): Promise<number> {
  const children = Array.from({ length: copies }, (_, i) =>
    fork(appMain(name), [], { env: { ...process.env, ...env, ...envOf(i) }, stdio: 'inherit' }),
  );
  const forward = (signal: NodeJS.Signals) => () => {
    for (const c of children) c.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const codes = await Promise.all(
      children.map(
        (child) =>
          new Promise<number>((resolve) =>
            child.once('exit', (code, signal) =>
              resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)),
            ),
          ),
      ),
    );
    return codes.find((c) => c !== 0) ?? 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
