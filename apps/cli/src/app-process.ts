/**
 * `pushfleet worker`, `pushfleet api` and `pushfleet board`: run that process in the foreground, its output
 * on this terminal, until it exits or Ctrl-C; the exit status is the process's. (Apps never import each
 * other, so the CLI runs theirs as processes, as `pushfleet start` does.)
 */
import { fork } from 'node:child_process';
import { type AppProcess, appMain } from './children.js';

export async function runAppProcess(name: AppProcess, env: Record<string, string> = {}): Promise<number> {
  const child = fork(appMain(name), [], { env: { ...process.env, ...env }, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve) =>
      child.once('exit', (code, signal) =>
        resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)),
      ),
    );
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
