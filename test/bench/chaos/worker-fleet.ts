/**
 * The chaos run's worker processes (`apps/worker/dist/main.js`, what the fleet runs), started, SIGKILLed,
 * SIGTERMed and restarted by the runner, and their counters kept past their death: a process's
 * pushfleet_resends_total dies with it, so every worker is scraped every `scrapeMs` and once more right
 * before it is killed, and the last value read is what it counted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHUTDOWN_DEADLINE_MS } from '@pushfleet/worker';

const WORKER_MAIN = fileURLToPath(new URL('../../../../apps/worker/dist/main.js', import.meta.url));

export interface WorkerFleetOptions {
  readonly redisUrl: string;
  /** The fleet config file (PUSHFLEET_CONFIG) every worker serves. */
  readonly configFile: string;
  /** Jobs in flight per app per worker (PUSHFLEET_CONCURRENCY). */
  readonly concurrency: number;
  /** Each process's stderr (its JSON log) goes to `<logDir>/<name>.log`. */
  readonly logDir: string;
  /** @defaultValue 250 */
  readonly scrapeMs?: number;
}

interface WorkerCounters {
  /** pushfleet_resends_total per cause. */
  resends: Record<string, number>;
  stalled: number;
  /** pushfleet_notifications_in_flight at the last scrape (a gauge: the latest value). */
  inFlight: number;
}

export interface ChaosWorker {
  /** `w1`, `w1'` after its restart, ... */
  readonly name: string;
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  readonly counters: WorkerCounters;
  readonly exited: Promise<unknown>;
}

export class WorkerFleet {
  readonly #o: WorkerFleetOptions;
  readonly #workers: ChaosWorker[] = [];
  /** Workers that were still running SHUTDOWN_DEADLINE_MS after their SIGTERM (then SIGKILLed). */
  readonly slowExits: string[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(options: WorkerFleetOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.scrape(), options.scrapeMs ?? 250);
    this.#timer.unref();
    // A runner that dies must not leave workers behind (they also drain when their IPC channel closes).
    process.once('exit', () => {
      for (const w of this.live) w.child.kill('SIGKILL');
    });
  }

  get live(): readonly ChaosWorker[] {
    return this.#workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  }

  async start(name: string): Promise<ChaosWorker> {
    const child = fork(WORKER_MAIN, [], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: this.#o.redisUrl,
        PUSHFLEET_CONFIG: this.#o.configFile,
        PUSHFLEET_METRICS_PORT: '0',
        PUSHFLEET_CONCURRENCY: String(this.#o.concurrency),
        PUSHFLEET_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.pipe(createWriteStream(join(this.#o.logDir, `${name}.log`)));
    const exited = once(child, 'exit');
    const [ready] = (await Promise.race([
      once(child, 'message'),
      exited.then(() => {
        throw new Error(`worker ${name} exited before it was ready (see ${this.#o.logDir}/${name}.log)`);
      }),
    ])) as [{ metricsUrl: string }];
    const worker = {
      name,
      child,
      metricsUrl: ready.metricsUrl,
      counters: { resends: {}, stalled: 0, inFlight: 0 },
      exited,
    };
    this.#workers.push(worker);
    return worker;
  }

  /** Read every live worker's counters now. */
  async scrape(): Promise<void> {
    await Promise.all(this.live.map((w) => scrapeWorker(w)));
  }

  /** Scrape `worker` one last time, then SIGKILL it (no drain: its jobs stall). Resolves once it is gone. */
  async kill(worker: ChaosWorker): Promise<void> {
    await scrapeWorker(worker);
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  /**
   * SIGTERM (the graceful drain); its counters are read until it exits. A worker that has not exited by its
   * own shutdown deadline (and a second's margin) is a failure of the run: named in `slowExits`, SIGKILLed.
   */
  async terminate(worker: ChaosWorker): Promise<void> {
    worker.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), SHUTDOWN_DEADLINE_MS + 1_000);
    });
    const exit = await Promise.race([worker.exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (exit === 'exited') return;
    this.slowExits.push(worker.name);
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  /** pushfleet_resends_total per cause, summed over every worker that ever ran (the last value read). */
  resends(): Record<string, number> {
    const sum: Record<string, number> = {};
    for (const w of this.#workers)
      for (const [cause, n] of Object.entries(w.counters.resends)) sum[cause] = (sum[cause] ?? 0) + n;
    return sum;
  }

  /** Write each live worker's /metrics text beside its log (`<name>.metrics.txt`), for a run that went wrong. */
  async dumpMetrics(): Promise<void> {
    for (const w of this.live) {
      const text = await fetch(w.metricsUrl, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.text(),
        (e: Error) => `unreadable: ${e.message}`,
      );
      writeFileSync(join(this.#o.logDir, `${w.name}.metrics.txt`), text);
    }
  }

  /** Notifications each live worker has in flight now, by worker name. */
  inFlight(): Record<string, number> {
    return Object.fromEntries(this.live.map((w) => [w.name, w.counters.inFlight]));
  }

  stalledJobs(): number {
    return this.#workers.reduce((s, w) => s + w.counters.stalled, 0);
  }

  async stopAll(): Promise<void> {
    clearInterval(this.#timer);
    await this.scrape();
    await Promise.all(this.live.map((w) => this.terminate(w)));
  }
}

async function scrapeWorker(w: ChaosWorker): Promise<void> {
  let text: string;
  try {
    text = await (await fetch(w.metricsUrl, { signal: AbortSignal.timeout(2000) })).text();
  } catch {
    return; // draining or gone: the last value read stands
  }
  const resends: Record<string, number> = {};
  let stalled = 0;
  let inFlight = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('pushfleet_notifications_in_flight{')) inFlight += Number(line.split(' ').at(-1));
    if (line.startsWith('pushfleet_resends_total{')) {
      const cause = /cause="([^"]*)"/.exec(line)?.[1] ?? 'unknown';
      resends[cause] = (resends[cause] ?? 0) + Number(line.split(' ').at(-1));
    } else if (line.startsWith('pushfleet_stalled_jobs_total{')) {
      stalled += Number(line.split(' ').at(-1));
    }
  }
  // Counters only grow: a late answer from a scrape started earlier must not lower them.
  for (const [cause, n] of Object.entries(resends))
    w.counters.resends[cause] = Math.max(w.counters.resends[cause] ?? 0, n);
  w.counters.stalled = Math.max(w.counters.stalled, stalled);
  w.counters.inFlight = inFlight;
}
