/**
 * The BullMQ processor for push jobs: send every notification of the job that has no final outcome yet,
 * record each one's state in the job record, and finish the job only when every notification has one
 * (at-least-once: nothing leaves Redis without a verdict or a reason).
 *
 * Per run of a job:
 * 1. what waited past its horizon is `expired` (not sent); what goes to a token recorded dead is `suppressed`
 *    (one Redis round trip for the whole job);
 * 2. the rest is sent; each answer becomes a state (notification-attempt.ts), non-final ones get the retry
 *    policy's time (retry-policy.ts) or are given up (`expired` / `dead-lettered`, into the dead-letter list);
 * 3. the job then completes (all final, some delivered), fails (all final, none delivered), is held (APNs
 *    refused the credentials: the app is paused, no attempt spent), or is delayed until the earliest retry.
 *
 * Verdicts of a large job are saved as they settle (every `checkpointIntervalMs`), so a run that dies
 * re-sends only what had no verdict; those re-sends are counted as `resends{cause="stall"}`.
 */
import { createLogger, type Logger } from '@pushfleet/log';
import type { FleetMetrics } from '@pushfleet/metrics';
import {
  addDeadLetters,
  type CompletedPushJob,
  candidateJobId,
  completedPushJob,
  type DeadLetter,
  type DeadLetterLimits,
  type FinalRecord,
  findSuppressed,
  indexNotifications,
  jobNotifications,
  NOT_TRIED,
  type NotificationRecord,
  type NotificationState,
  type PushJobData,
  READABLE_JOB_RECORD_VERSIONS,
  type RedisClient,
  recordFinalOutcomes,
  statesById,
} from '@pushfleet/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { deliveryMetrics, type TransportName } from './instrumentation.js';
import { heldWeight, type JobIntake, type JobRun } from './job-intake.js';
import {
  type AttemptResult,
  type AttemptRun,
  attemptNotification,
  type PushSender,
} from './notification-attempt.js';
import { DEFAULT_RETRY_POLICY, expiredBeforeSend, type RetryPolicyOptions } from './retry-policy.js';

export { type PushSender, toApnsRequest } from './notification-attempt.js';

export interface PushProcessorOptions {
  app: string;
  transport: TransportName;
  sender: PushSender;
  /** For the token registry and the dead-letter list. */
  redis: RedisClient;
  metrics: FleetMetrics;
  /** @defaultValue DEFAULT_RETRY_POLICY */
  retryPolicy?: RetryPolicyOptions;
  deadLetterLimits?: DeadLetterLimits;
  /**
   * APNs refused the app's credentials (action `creds`): pause the app for the whole fleet. The job is
   * put back, delayed by `credsRetryDelayMs`, without spending an attempt: the queue is kept, not burned.
   */
  onCredentialsBroken?: (reason: string) => Promise<void>;
  /** @defaultValue 60000 */
  credsRetryDelayMs?: number;
  /** How often a running job of many notifications saves the verdicts it has. @defaultValue 1000 */
  checkpointIntervalMs?: number;
  /** For the retry policy's jitter; injectable for tests. @defaultValue Math.random */
  random?: () => number;
  /** @defaultValue a `worker` logger on stderr at info */
  log?: Logger;
  /** Told what each run holds and settles, so the worker takes jobs by the transport's capacity. */
  intake?: JobIntake;
}

/** Transport errors after which the request may have reached APNs (so a re-send may duplicate it). */
const MAYBE_DELIVERED = new Set([
  'STREAM_RESET',
  'CLOSED',
  'TIMEOUT',
  'PROTOCOL',
  'GOAWAY',
  'LEGACY_SHUTDOWN',
]);

export function createPushProcessor(options: PushProcessorOptions) {
  const { app, transport, sender, redis } = options;
  const count = deliveryMetrics(options.metrics, app, transport);
  const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const log = (options.log ?? createLogger({ name: 'worker' })).child({ app });
  const ctx = { app, transport, sender, redis, policy, random: options.random ?? Math.random };

  const finish = (state: NotificationState, enqueuedAt: number, at = Date.now()) => {
    if (state.final && state.outcome) count.ended(state.outcome, enqueuedAt, at);
  };

  return async function processPushJob(
    job: Job<PushJobData, CompletedPushJob>,
    lockToken?: string,
  ): Promise<CompletedPushJob> {
    const data = job.data;
    // A plain error, not an unrecoverable one: the job is tried again, and a newer worker can take it.
    if (!READABLE_JOB_RECORD_VERSIONS.includes(data.v))
      throw new Error(
        `job record v${data.v}: this worker reads v${READABLE_JOB_RECORD_VERSIONS.join(', v')}; upgrade the workers before the producers`,
      );
    const now = Date.now();
    const notifications = jobNotifications(data, String(job.id));
    // Each notification's state by its place in the job (undefined: not tried yet), keyed by id only when
    // saved: a lookup by id per notification was 2% of the worker's CPU (--cpu-prof, bench:e2e).
    const saved = data.state;
    const states: (NotificationState | undefined)[] = saved
      ? notifications.map((n) => saved[n.id])
      : new Array(notifications.length);
    const todo: number[] = [];
    for (let i = 0; i < notifications.length; i++) if (!states[i]?.final) todo.push(i);
    const run = options.intake?.start(todo.length, heldWeight(todo.length, payloadBytes(data)));
    try {
      return await processRun(job, lockToken, data, notifications, now, states, todo, run);
    } finally {
      run?.end();
    }
  };

  async function processRun(
    job: Job<PushJobData, CompletedPushJob>,
    lockToken: string | undefined,
    data: PushJobData,
    notifications: readonly NotificationRecord[],
    now: number,
    states: (NotificationState | undefined)[],
    /** Places in the job of the notifications this run may end: every one not final at its start. */
    started: readonly number[],
    run: JobRun | undefined,
  ): Promise<CompletedPushJob> {
    const sending = started.length;
    let todo = started;
    const deadLetters: DeadLetter[] = [];
    const deadLetter = (
      n: NotificationRecord,
      s: NotificationState,
      outcome: DeadLetter['outcome'],
      reason: string,
    ): DeadLetter => ({
      app,
      notification: n,
      outcome,
      reason,
      attempts: s.attempts,
      enqueuedAt: data.enqueuedAt,
      deadAt: Date.now(),
      jobId: String(job.id),
    });

    // A run of this job before this one ended without saving: it died or stalled mid-send.
    const diedBefore = job.attemptsStarted > (data.runs ?? 0) + 1;

    let expiredAny = false;
    for (const i of todo) {
      const n = notifications[i]!;
      const prior = states[i]?.attempts ?? [];
      const gone = expiredBeforeSend(
        policy,
        { enqueuedAt: data.enqueuedAt, expiration: n.expiration },
        now,
        prior.length,
      );
      if (gone && !gone.retry) {
        const reason =
          prior.length > 0 ? `${gone.reason}: ${prior.at(-1)?.reason ?? 'no answer'}` : gone.reason;
        const s = { final: true, outcome: gone.outcome, reason, attempts: prior };
        states[i] = s;
        expiredAny = true;
        finish(s, data.enqueuedAt, now);
        deadLetters.push(deadLetter(n, s, gone.outcome, reason));
      }
    }
    if (expiredAny) todo = todo.filter((i) => !states[i]?.final);
    const suppressed = await findSuppressed(
      redis,
      app,
      todo.map((i) => {
        const n = notifications[i]!;
        return { token: n.token, topic: n.topic, enqueuedAt: data.enqueuedAt };
      }),
    );
    todo = todo.filter((i, k) => {
      const record = suppressed[k];
      if (!record) return true;
      const s: NotificationState = {
        final: true,
        outcome: 'suppressed',
        reason: record.reason,
        attempts: states[i]?.attempts ?? [],
      };
      states[i] = s;
      count.fleetOutcome('suppressed', record.reason);
      finish(s, data.enqueuedAt, now);
      return false;
    });

    run?.settled(sending - todo.length); // expired or suppressed: not sent
    countResends(todo, states, diedBefore, data.state !== undefined);
    const jobId = String(job.id);
    /** What ended in `snapshot` of the notifications this run started with and has not recorded yet. */
    const endedIn = (snapshot: readonly (NotificationState | undefined)[], done: Uint8Array) => {
      const endedAt = Date.now();
      const ended: [string, FinalRecord][] = [];
      const places: number[] = [];
      for (const i of started) {
        const s = snapshot[i];
        if (!s?.final || !s.outcome || done[i]) continue;
        // Built field by field, not by spreads: this runs once per notification.
        // It ended when APNs answered, if an answer ended it (the read of a completed job rebuilds its try from this).
        const last = s.attempts.at(-1);
        const record: Writable<FinalRecord> = {
          outcome: s.outcome,
          at: last && last.outcome === s.outcome ? last.at : endedAt,
          attempts: s.attempts.length,
          jobId,
        };
        if (s.status !== undefined) record.status = s.status;
        if (s.reason) record.reason = s.reason;
        if (s.uniqueId) record.uniqueId = s.uniqueId;
        ended.push([notifications[i]!.id, record]);
        places.push(i);
      }
      return { ended, places };
    };
    // A checkpoint records the final outcomes it saves first: a run that dies after saving a verdict would
    // otherwise leave that notification ended in the job record but never in its final records and counters.
    const recorded = new Uint8Array(notifications.length);
    const recordEnded = async (snapshot: readonly (NotificationState | undefined)[]) => {
      const { ended, places } = endedIn(snapshot, recorded);
      await recordFinalOutcomes(redis, app, ended);
      for (const i of places) recorded[i] = 1;
    };
    const checkpoint = startCheckpoint(
      job,
      data,
      notifications,
      states,
      todo.length,
      options.checkpointIntervalMs ?? 1000,
      recordEnded,
    );
    // Only the tries with more to do than their state says (a retry decision, a dead token recorded): the
    // rest would be one more object per notification held until the run ends.
    const notable: { readonly place: number; readonly result: AttemptResult }[] = [];
    try {
      // One promise for the run; each try is one object, told its send's end (see attemptNotification).
      await new Promise<void>((resolve, reject) => {
        let left = todo.length;
        if (left === 0) resolve();
        const attempts: AttemptRun = {
          ctx,
          enqueuedAt: data.enqueuedAt,
          tried(i, r) {
            try {
              states[i] = r.state;
              if (r.retry || r.recordedInvalid) notable.push({ place: i, result: r });
              checkpoint.dirty();
              run?.settled();
              if (--left === 0) resolve();
            } catch (err) {
              reject(err);
            }
          },
          failed: reject,
        };
        for (const i of todo) attemptNotification(attempts, notifications[i]!, states[i], i);
      });
    } finally {
      await checkpoint.stop();
    }

    let nextTry = Number.POSITIVE_INFINITY;
    let freshConnection = false;
    for (const i of todo) finish(states[i]!, data.enqueuedAt);
    notable.sort((a, b) => a.place - b.place); // dead letters in job order
    for (const { place, result: r } of notable) {
      const n = notifications[place]!;
      if (r.recordedInvalid) count.invalidTokenRecorded();
      const lastReason = r.state.attempts.at(-1)?.reason;
      if (!r.retry) continue;
      if (r.retry.retry) {
        count.retried(lastReason);
        nextTry = Math.min(nextTry, r.retry.atMs);
        freshConnection ||= r.retry.freshConnection;
      } else {
        deadLetters.push(
          deadLetter(n, r.state, r.retry.outcome, `${r.retry.reason}: ${lastReason ?? 'no answer'}`),
        );
      }
    }
    if (deadLetters.length > 0) {
      await addDeadLetters(redis, app, deadLetters, options.deadLetterLimits);
      for (const d of deadLetters) {
        count.fleetOutcome(d.outcome, d.attempts.at(-1)?.reason);
        log.warn(
          { job: d.jobId, notification: d.notification.id, outcome: d.outcome, reason: d.reason },
          'notification dead-lettered',
        );
      }
    }
    if (freshConnection) sender.recycleConnections?.();

    // What ended in this run is kept by id for status reads after the job is gone, and counted for waiters.
    await recordEnded(states);

    // The job record for the next run (or a status read of a failed job): every state so far, by id.
    const next = (): PushJobData => ({
      ...data,
      state: statesById(notifications, states),
      runs: (data.runs ?? 0) + 1,
    });
    const stateOf = (i: number) => states[i] ?? NOT_TRIED;
    const unfinished: number[] = [];
    for (let i = 0; i < notifications.length; i++) if (!stateOf(i).final) unfinished.push(i);
    const unfinishedIds = () => unfinished.map((i) => notifications[i]!.id);
    const credsBroken = unfinished.find((i) => stateOf(i).outcome === 'creds-broken');
    if (credsBroken !== undefined && options.onCredentialsBroken && lockToken) {
      await job.updateData(next());
      await indexAgain(unfinishedIds(), jobId);
      await options.onCredentialsBroken(stateOf(credsBroken).reason ?? 'credentials');
      count.job('held');
      await job.moveToDelayed(Date.now() + (options.credsRetryDelayMs ?? 60_000), lockToken);
      throw new DelayedError();
    }
    if (unfinished.length > 0) {
      await job.updateData(next());
      await indexAgain(unfinishedIds(), jobId);
      count.job('retried');
      if (!lockToken || !Number.isFinite(nextTry)) {
        const why = summarise(
          unfinished.map((i) => stateOf(i).reason ?? stateOf(i).attempts.at(-1)?.reason ?? 'no answer'),
        );
        throw new Error(`${unfinished.length} of ${notifications.length} unfinished: ${why}`);
      }
      await job.moveToDelayed(nextTry, lockToken);
      throw new DelayedError();
    }
    // Every notification is final: the return value carries the counts and what was not delivered at the
    // first try; every notification's end is in its final record (status reads rebuild the rest from those).
    const completed = completedPushJob(app, notifications, states);
    if (completed.delivered === 0) {
      await job.updateData(next()); // a failed job carries its verdicts in its data (getPushJobStatus)
      count.job('failed');
      throw new UnrecoverableError(
        summarise(notifications.map((_, i) => stateOf(i).reason ?? stateOf(i).outcome ?? 'failed')),
      );
    }
    count.job('completed');
    return completed;
  }

  /**
   * Index the unfinished by id again, so one retried past the status retention is still found; an id the
   * producer made names its job already, and needs no entry.
   */
  async function indexAgain(unfinished: readonly string[], jobId: string): Promise<void> {
    const entries = unfinished.flatMap((id) => (candidateJobId(id) === jobId ? [] : [[id, jobId] as const]));
    if (entries.length === 0) return;
    const pipeline = redis.pipeline();
    indexNotifications(pipeline, app, entries);
    await pipeline.exec();
  }

  function countResends(
    todo: readonly number[],
    states: readonly (NotificationState | undefined)[],
    diedBefore: boolean,
    hadState: boolean,
  ) {
    if (!hadState) {
      // No earlier run saved a try: each is a resend only if a run before this one died mid-send.
      if (diedBefore) for (let k = 0; k < todo.length; k++) count.resent('stall');
      return;
    }
    for (const i of todo) {
      const last = states[i]?.attempts.at(-1);
      if (last?.outcome === 'transport-error' && last.reason && MAYBE_DELIVERED.has(last.reason))
        count.resent(last.reason);
      else if (diedBefore) count.resent('stall');
    }
  }
}

/** Saves the job's verdicts every `intervalMs` while a run of many notifications is under way (after `beforeSave`). */
function startCheckpoint(
  job: Job<PushJobData, CompletedPushJob>,
  data: PushJobData,
  notifications: readonly NotificationRecord[],
  states: readonly (NotificationState | undefined)[],
  sending: number,
  intervalMs: number,
  beforeSave: (snapshot: readonly (NotificationState | undefined)[]) => Promise<void>,
) {
  let dirty = false;
  let saving: Promise<unknown> = Promise.resolve();
  const save = async () => {
    const snapshot = states.slice();
    await beforeSave(snapshot);
    await job.updateData({ ...data, state: statesById(notifications, snapshot) });
  };
  const timer =
    sending > 1
      ? setInterval(() => {
          if (!dirty) return;
          dirty = false;
          saving = saving.then(() => save().catch(() => undefined));
        }, intervalMs)
      : undefined;
  timer?.unref();
  return {
    dirty: () => {
      dirty = true;
    },
    stop: async () => {
      if (timer) clearInterval(timer);
      await saving;
    },
  };
}

/** The size of a job's payloads (string lengths: bytes for ASCII JSON), a fan-out's shared one once. */
function payloadBytes(data: PushJobData): number {
  let bytes = data.common?.payload?.length ?? 0;
  for (const n of data.notifications) bytes += n.payload?.length ?? 0;
  return bytes;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** "Unregistered" for one; "Unregistered x2, BadDeviceToken" for many. */
function summarise(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, c]) => (c > 1 ? `${r} x${c}` : r)).join(', ');
}
