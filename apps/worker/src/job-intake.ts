/**
 * How many jobs a worker takes from BullMQ at once: as many as fill two sending windows with notifications
 * (one window in flight, one ready behind it so the pipe never drains between jobs), where the window is the
 * app's send limit (the transport's capacity, throttled). A worker whose transport is full takes no new job
 * until notifications settle, so the backlog stays in Redis, where another worker can take it, and not in this
 * process's memory. BullMQ counts jobs, not notifications: the intake turns one into the other with the
 * running mean of notifications per job, and sets the Worker's `concurrency` at every change.
 *
 * Two budgets: the notifications not yet settled (what is sent, against the two windows), and every
 * notification of the running jobs, settled or not (what is in memory, against `maxHeld`): a job stays in
 * memory until its last notification settles, so with jobs of 1,000 the first budget alone let a legacy
 * worker hold ~500 MB of finished notifications behind the slow ones.
 */
import { DEFAULT_JOB_SIZE } from '@pushfleet/queue';

export interface JobIntakeOptions {
  /** Notifications the app may have in flight now (the limiter's limit). */
  readonly window: () => number;
  /** Never more jobs at once than this (PUSHFLEET_CONCURRENCY). */
  readonly maxJobs: number;
  /** Where the number of jobs goes: the BullMQ Worker's `concurrency`. */
  readonly setJobs: (jobs: number) => void;
  /** The guess of notifications per job before any job ran. @defaultValue DEFAULT_JOB_SIZE (the producer's) */
  readonly expectedJobSize?: number;
  /**
   * Never more notifications in running jobs than this, whatever the window; large payloads count for more
   * (heldWeight). @defaultValue MAX_HELD_NOTIFICATIONS
   */
  readonly maxHeld?: number;
}

/**
 * Payload bytes counted as one more held notification. A held notification's own objects take ~4 KB of RSS
 * and its payload several times its size (job data, record, frame or request, and V8's slack): with payloads
 * of ~2 KB, 20,000 held took 342 MB against 185 MB with the bench's ~45-byte ones; weighed at 500 bytes, a
 * legacy-only worker's 30,000 holds ~6,000 of them, in 270 MB (lab notes, seventh pass).
 */
export const PAYLOAD_BYTES_PER_HELD = 500;

/** What a run of `notifications` with `payloadBytes` of payloads (a shared one counted once) weighs against `maxHeld`. */
export function heldWeight(notifications: number, payloadBytes: number): number {
  return notifications + Math.floor(payloadBytes / PAYLOAD_BYTES_PER_HELD);
}

/**
 * The most notifications a worker holds per app: a legacy window (two resend rings of 100,000 frames) would
 * otherwise let it hold 200,000, far more than memory allows (50,000 held took 570 MB of RSS when each try was
 * a then-chain). A worker of legacy apps only holds more: legacy-heap.ts.
 */
export const MAX_HELD_NOTIFICATIONS = 10_000;

/** How many windows of notifications the worker holds: one sending, one waiting to go. */
const WINDOWS_HELD = 2;
/** Weight of each new job in the mean job size (about the last 20 jobs count). */
const MEAN_WEIGHT = 0.05;

export class JobIntake {
  readonly #o: JobIntakeOptions;
  #jobs = 0;
  #held = 0;
  /** Every notification of the running jobs, settled or not. */
  #inRuns = 0;
  #meanJobSize: number;
  /** The running mean of what a job weighs against `maxHeld` (its notifications and its payloads' bytes). */
  #meanJobWeight: number;
  #lastSet = 0;

  constructor(options: JobIntakeOptions) {
    this.#o = options;
    this.#meanJobSize = Math.max(1, options.expectedJobSize ?? DEFAULT_JOB_SIZE);
    this.#meanJobWeight = this.#meanJobSize;
    this.#update();
  }

  /** Notifications taken from jobs and not settled yet. */
  get held(): number {
    return this.#held;
  }

  /** What the running jobs weigh, settled or not (what they keep in memory: notifications, and payload bytes). */
  get inRuns(): number {
    return this.#inRuns;
  }

  /** Jobs running now. */
  get jobs(): number {
    return this.#jobs;
  }

  /** The jobs BullMQ may hold now: the running ones and as many more as the free notification budget fits. */
  get allowedJobs(): number {
    const toSend = WINDOWS_HELD * this.#o.window() - this.#held;
    const inMemory = (this.#o.maxHeld ?? MAX_HELD_NOTIFICATIONS) - this.#inRuns;
    const more = Math.min(
      Math.ceil(Math.max(0, toSend) / this.#meanJobSize),
      Math.ceil(Math.max(0, inMemory) / this.#meanJobWeight),
    );
    return Math.min(this.#o.maxJobs, Math.max(1, this.#jobs + more));
  }

  /**
   * A job's run starts and will send `notifications`; `weight` is what it holds in memory (heldWeight of its
   * payloads; the notifications alone by default). Returns the run's handle.
   */
  start(notifications: number, weight = notifications): JobRun {
    this.#jobs++;
    this.#held += notifications;
    this.#inRuns += weight;
    this.#meanJobSize += MEAN_WEIGHT * (Math.max(1, notifications) - this.#meanJobSize);
    this.#meanJobWeight += MEAN_WEIGHT * (Math.max(1, weight) - this.#meanJobWeight);
    this.#update();
    let left = notifications;
    let ended = false;
    return {
      settled: (count = 1) => {
        const n = Math.min(count, left);
        if (n <= 0) return;
        left -= n;
        this.#held -= n;
        this.#update();
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.#held -= left;
        this.#inRuns -= weight;
        left = 0;
        this.#jobs--;
        this.#update();
      },
    };
  }

  /** The window may have changed with no job starting or settling (a connection opened): size the intake again. */
  windowChanged(): void {
    this.#update();
  }

  #update(): void {
    const jobs = this.allowedJobs;
    if (jobs === this.#lastSet) return;
    this.#lastSet = jobs;
    this.#o.setJobs(jobs);
  }
}

/** One job run's share of the intake. */
export interface JobRun {
  /** `count` (default 1) of the run's notifications need no more sending: answered, expired or suppressed. */
  settled(count?: number): void;
  /** The run is over (completed, failed, delayed or crashed); what did not settle is released. */
  end(): void;
}
