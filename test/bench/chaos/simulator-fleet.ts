/** The runner's handle on its simulator process: one typed call per IPC request. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Reason } from '@pushfleet/apns';
import type { FaultConfig } from '@pushfleet/simulator';
import type { SimulatorCounters, SimulatorRequest } from './simulator-protocol.js';

const ENTRY = fileURLToPath(new URL('./simulator-process.js', import.meta.url));

export interface SimulatorFleet {
  /** Token-auth URL of each app's simulator. */
  readonly urls: Readonly<Record<string, string>>;
  readonly child: ChildProcess;
  setFaults(app: string, faults: FaultConfig): Promise<void>;
  markDead(app: string, tokens: readonly string[]): Promise<void>;
  reject(app: string, tokens: readonly string[], reason: Reason): Promise<void>;
  counters(): Promise<SimulatorCounters>;
  acceptedIds(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export async function startSimulatorFleet(
  start: Extract<SimulatorRequest, { op: 'start' }>,
): Promise<SimulatorFleet> {
  const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`simulator process: ${m.error}`));
    else w?.resolve(m.result);
  });
  child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`simulator process exited (${code})`));
    waiting.clear();
  });
  const call = <T>(request: SimulatorRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, ...request });
    });
  const urls = await call<Record<string, string>>(start);
  return {
    urls,
    child,
    setFaults: (app, faults) => call({ op: 'faults', app, faults }),
    markDead: (app, tokens) => call({ op: 'markDead', app, tokens }),
    reject: (app, tokens, reason) => call({ op: 'reject', app, tokens, reason }),
    counters: () => call({ op: 'counters' }),
    acceptedIds: async () => new Map(await call<[string, number][]>({ op: 'acceptedIds' })),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      await call({ op: 'stop' }).catch(() => undefined);
      await exited;
    },
  };
}
