/**
 * `pushfleet start` keeps its processes alive: a worker (or the API) that dies is started again, with what
 * killed it said on the terminal (exit code or signal, and the end of its log). One that keeps dying, more
 * than `maxRestarts` times within `windowMs`, or cannot start again, is given up on: `failed` resolves, and
 * start stops everything and exits 1. A process marked `restartable: false` (the simulator, whose port the
 * workers hold) is given up on at its first death.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { FleetChild } from './children.js';

export interface SupervisedProcess {
  readonly name: string;
  /** Starts the process and resolves once it reported ready. */
  readonly start: () => Promise<FleetChild>;
  current: FleetChild;
  /** False: a death is not repaired by a restart (others depend on what it was). @defaultValue true */
  readonly restartable?: boolean;
}

export interface SupervisorOptions {
  /** @defaultValue 5 */
  readonly maxRestarts?: number;
  /** @defaultValue 60000 */
  readonly windowMs?: number;
  /** Where to say what happened. */
  readonly say: (line: string) => void;
}

export interface Supervisor {
  /** Resolves with a reason when a process could not be kept running. */
  readonly failed: Promise<string>;
  /** Stop watching (before stopping the processes, so their exits are not taken for crashes). */
  stop(): void;
}

/** How a process died, with the last lines of its log. */
export function describeDeath(child: FleetChild, code: number | null, signal: NodeJS.Signals | null): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const tail = existsSync(child.logFile)
    ? readFileSync(child.logFile, 'utf8')
        .trim()
        .split('\n')
        .slice(-3)
        .map((l) => `    ${l}`)
        .join('\n')
    : '';
  return `${child.name} ${how}${tail ? `; its log (${child.logFile}) ends:\n${tail}` : ''}`;
}

export function supervise(processes: readonly SupervisedProcess[], options: SupervisorOptions): Supervisor {
  const maxRestarts = options.maxRestarts ?? 5;
  const windowMs = options.windowMs ?? 60_000;
  let stopped = false;
  let giveUp: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => (giveUp = resolve));

  const watch = (p: SupervisedProcess) => {
    const restarts: number[] = [];
    const onExit = (child: FleetChild) => (code: number | null, signal: NodeJS.Signals | null) => {
      if (stopped) return;
      options.say(describeDeath(child, code, signal));
      if (p.restartable === false) giveUp(`${p.name} died and cannot be restarted`);
      else void restart();
    };
    const restart = async (): Promise<void> => {
      while (!stopped) {
        const now = Date.now();
        while (restarts.length > 0 && now - restarts[0]! > windowMs) restarts.shift();
        if (restarts.length >= maxRestarts) {
          giveUp(
            `${p.name} died ${restarts.length + 1} times within ${Math.round(windowMs / 1000)} s; giving up`,
          );
          return;
        }
        restarts.push(now);
        options.say(
          `restarting ${p.name} (${restarts.length} of at most ${maxRestarts} within ${Math.round(windowMs / 1000)} s)...`,
        );
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** (restarts.length - 1))));
        if (stopped) return;
        try {
          p.current = await p.start();
          p.current.process.once('exit', onExit(p.current));
          options.say(`${p.name} is running again`);
          return;
        } catch (err) {
          options.say(`${p.name} did not start: ${(err as Error).message}`);
        }
      }
    };
    p.current.process.once('exit', onExit(p.current));
  };
  for (const p of processes) watch(p);
  return {
    failed,
    stop: () => {
      stopped = true;
    },
  };
}
