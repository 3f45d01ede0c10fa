/**
 * Reading where jobs stand: one job's state and result, or waiting for a set of jobs to finish
 * (the demo's progress bar, tests, the API's status endpoint).
 */
import { type Job, Queue, QueueEvents } from 'bullmq';
import {
  type CompletedPushJob,
  jobNotificationIds,
  NOT_TRIED,
  type NotificationOutcome,
  type NotificationResult,
  type PushJobData,
  type PushJobResult,
} from './job.js';
import { candidateJobId } from './made-notification-id.js';
import { findFinalRecords, findNotification } from './notification-status.js';
import { appQueue } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

export type PushJobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'unknown';

export interface PushJobStatus {
  readonly id: string;
  readonly state: PushJobState;
  readonly attemptsMade: number;
  /** Set once completed, or when failed after a verdict. */
  readonly result?: PushJobResult;
  readonly failedReason?: string;
}

/** One job's status, or undefined if no such job (never enqueued, or removed after its retention). */
export async function getPushJobStatus(
  queue: Queue<PushJobData>,
  id: string,
): Promise<PushJobStatus | undefined> {
  const job = await queue.getJob(id);
  if (!job) return undefined;
  const raw = await job.getState();
  const state: PushJobState =
    raw === 'completed' || raw === 'failed' || raw === 'active' || raw === 'delayed'
      ? raw
      : raw === 'waiting' || raw === 'prioritized' || raw === 'waiting-children'
        ? 'waiting'
        : 'unknown';
  const stored = job.returnvalue as CompletedPushJob | PushJobResult | null | undefined;
  let result: PushJobResult | undefined;
  if (stored && 'exceptions' in stored)
    result = await resultFromCompleted(
      // BullMQ's raw client (its documented escape hatch): the ioredis connection the queue was given.
      (await queue.getBackend().client) as unknown as RedisClient,
      job.data,
      jobNotificationIds(job.data, id),
      stored,
      job.finishedOn,
    );
  else if (stored)
    result = stored; // completed by an older worker, every notification in it
  // A failed job carries its verdicts in its data (the worker writes them before failing it).
  else if (state === 'failed' && job.data.state) result = resultFromState(job.data, id);
  return {
    id,
    state,
    attemptsMade: job.attemptsMade,
    ...(result ? { result } : {}),
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
  };
}

/**
 * A completed job's result, whole: its exceptions as stored, and every other notification (delivered at the
 * first try) from its final record. Past the records' retention, such a notification reads as delivered with
 * status 200 at the job's end.
 */
async function resultFromCompleted(
  redis: RedisClient,
  data: PushJobData,
  ids: readonly string[],
  stored: CompletedPushJob,
  finishedOn: number | undefined,
): Promise<PushJobResult> {
  const exceptions = new Map(stored.exceptions.map((n) => [n.id, n]));
  const rest = ids.filter((id) => !exceptions.has(id));
  const finals = await findFinalRecords(redis, data.app, rest);
  const notifications = data.notifications.map((n, i): NotificationResult => {
    const id = ids[i]!;
    const exception = exceptions.get(id);
    if (exception) return exception;
    const f = finals.get(id);
    const status = f?.status ?? 200;
    const at = f?.at ?? finishedOn ?? data.enqueuedAt;
    return {
      id,
      token: n.token,
      final: true,
      outcome: 'delivered',
      status,
      ...(f?.uniqueId !== undefined ? { uniqueId: f.uniqueId } : {}),
      attempts: [{ at, outcome: 'delivered', status }],
    };
  });
  return { app: stored.app, delivered: stored.delivered, failed: stored.failed, notifications };
}

export function resultFromState(data: PushJobData, jobId: string): PushJobResult {
  const ids = jobNotificationIds(data, jobId);
  const notifications = data.notifications.map((n, i) => {
    const s = data.state?.[ids[i]!] ?? NOT_TRIED;
    return { id: ids[i]!, token: n.token, ...s };
  });
  return {
    app: data.app,
    delivered: notifications.filter((n) => n.outcome === 'delivered').length,
    failed: notifications.filter((n) => n.final && n.outcome !== 'delivered').length,
    notifications,
  };
}

export interface WatchProgress {
  readonly done: number;
  readonly completed: number;
  readonly failed: number;
  readonly total: number;
}

export interface WatchOptions {
  /** Called on every finished job. */
  onProgress?: (p: WatchProgress) => void;
  /** Stop waiting after this long. @defaultValue 120000 */
  timeoutMs?: number;
  /**
   * Replay BullMQ's event stream from this time (ms since the epoch), so a job that finished while the
   * listener was starting is not missed. @defaultValue 10 s ago
   */
  since?: number;
}

/**
 * Wait until every job in `ids` has completed or failed for good. Listens to BullMQ's event stream
 * (started before it is called is best: pass an already-open QueueEvents via `events` if you enqueue
 * first) and reconciles by reading states, so a missed event cannot hang it.
 */
export async function waitForJobs(
  queue: Queue<PushJobData>,
  ids: readonly string[],
  options: WatchOptions & { events?: QueueEvents } = {},
): Promise<WatchProgress & { missing: string[]; failedIds: string[] }> {
  const pending = new Set(ids);
  const failedIds: string[] = [];
  let completed = 0;
  const total = ids.length;
  const events =
    options.events ??
    new QueueEvents(queue.name, { connection: queue.opts.connection, prefix: queue.opts.prefix });
  const progress = () =>
    options.onProgress?.({ done: total - pending.size, completed, failed: failedIds.length, total });
  const finish = (id: string, ok: boolean) => {
    if (!pending.delete(id)) return;
    if (ok) completed++;
    else failedIds.push(id);
    progress();
  };
  const onCompleted = ({ jobId }: { jobId: string }) => finish(jobId, true);
  const onFailed = ({ jobId }: { jobId: string }) => void reconcile([jobId]);
  // A failed event may be a retry in between attempts: read the state to be sure.
  const reconcile = async (which: string[]) => {
    const states = await Promise.all(which.map((id) => queue.getJobState(id).then((s) => [id, s] as const)));
    for (const [id, s] of states) {
      if (s === 'completed') finish(id, true);
      else if (s === 'failed') finish(id, false);
    }
  };
  events.on('completed', onCompleted);
  events.on('failed', onFailed);
  try {
    await events.waitUntilReady();
    await reconcile([...pending]);
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    let lastReconcile = Date.now();
    while (pending.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      // Safety net for events dropped while reconnecting: re-read a slice of states every 2 s.
      if (pending.size > 0 && Date.now() - lastReconcile > 2000) {
        await reconcile([...pending].slice(0, 500));
        lastReconcile = Date.now();
      }
    }
  } finally {
    events.off('completed', onCompleted);
    events.off('failed', onFailed);
    if (!options.events) await events.close();
  }
  return {
    done: total - pending.size,
    completed,
    failed: failedIds.length,
    total,
    missing: [...pending],
    failedIds,
  };
}

/** Where one notification stands, by its own id (whatever job carries it, and after that job is removed). */
export interface NotificationStatus {
  readonly id: string;
  /** `final` once it has its final outcome; `pending` while its job is waiting, delayed or running. */
  readonly state: 'pending' | 'final';
  readonly jobId: string;
  /** The carrying job's state, while it exists. */
  readonly jobState?: PushJobState;
  readonly outcome?: NotificationOutcome;
  readonly status?: number;
  readonly reason?: string;
  /** `apns-unique-id` of a sandbox delivery: the key of the push in Apple's delivery log. */
  readonly uniqueId?: string;
  /** Tries so far. */
  readonly attempts: number;
  /** When it ended, ms since the epoch (final only). */
  readonly at?: number;
}

/** Look a notification up by id in one app; undefined when unknown or past its retention. */
export async function getNotificationStatus(
  redis: RedisClient,
  app: string,
  id: string,
): Promise<NotificationStatus | undefined> {
  const lower = id.toLowerCase();
  const found = await findNotification(redis, app, lower);
  if (found.final) {
    const f = found.final;
    return {
      id: lower,
      state: 'final',
      jobId: f.jobId,
      outcome: f.outcome,
      attempts: f.attempts,
      at: f.at,
      ...opt(f),
    };
  }
  const { name, prefix } = appQueue(app);
  const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
  try {
    // Indexed (its id was chosen), else the job a made id names, else (enqueued before the index existed)
    // the job keyed by its own id; whichever it is, the job must hold it.
    const candidates = found.jobId ? [found.jobId] : [candidateJobId(lower), lower];
    let job: Job<PushJobData> | undefined;
    for (const jobId of candidates) {
      const j = await queue.getJob(jobId);
      if (j && jobNotificationIds(j.data, jobId).includes(lower)) {
        job = j;
        break;
      }
    }
    if (!job) return undefined;
    const s = job.data.state?.[lower];
    return {
      id: lower,
      state: s?.final ? 'final' : 'pending',
      jobId: String(job.id),
      jobState: toJobState(await job.getState()),
      ...(s?.outcome ? { outcome: s.outcome } : {}),
      ...(s ? opt(s) : {}),
      attempts: s?.attempts.length ?? 0,
    };
  } finally {
    await queue.close();
  }
}

function opt(s: { readonly status?: number; readonly reason?: string; readonly uniqueId?: string }) {
  return {
    ...(s.status !== undefined ? { status: s.status } : {}),
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
    ...(s.uniqueId !== undefined ? { uniqueId: s.uniqueId } : {}),
  };
}

function toJobState(raw: string): PushJobState {
  if (raw === 'completed' || raw === 'failed' || raw === 'active' || raw === 'delayed') return raw;
  return raw === 'waiting' || raw === 'prioritized' || raw === 'waiting-children' ? 'waiting' : 'unknown';
}
