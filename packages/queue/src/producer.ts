/**
 * The producer SDK: validate at the door, enqueue in Redis through BullMQ, return at once.
 *
 *   const producer = createProducer({ redis: 'redis://127.0.0.1:6379' });
 *   const { ids } = await producer.send({ token, topic: 'com.example.app', payload: { aps: { alert: 'Hi' } } });
 */
import { randomUUID } from 'node:crypto';
import { type JobsOptions, Queue } from 'bullmq';
import type { AppRoutes } from './app-routes.js';
import { type BroadcastProducer, createBroadcastProducer } from './broadcast-producer.js';
import { type BatchProblem, BatchValidationError, RedisUnavailableError, ValidationError } from './errors.js';
import {
  checkIdempotency,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  IdempotencyConflictError,
  rememberIds,
} from './idempotency.js';
import { PUSH_JOB_NAME, type PushJobData, packJobData } from './job.js';
import { getNotificationStatus, type NotificationStatus } from './job-status.js';
import { liveActivityTopic } from './live-activity.js';
import { LiveActivityBudget, type LiveActivityBudgetOptions } from './live-activity-budget.js';
import { madeNotificationId, newJobId } from './made-notification-id.js';
import {
  checkToken,
  type NotificationInput,
  type NotificationRecord,
  validateNotification,
} from './notification.js';
import { indexNotifications } from './notification-status.js';
import { APP_NAME_PATTERN, QUEUE_NAME, queueKeys } from './queue-keys.js';
import {
  connectRedis,
  failFastRedisOptions,
  isConnectionError,
  type RedisTarget,
  redisReady,
} from './redis-connection.js';
import { reactivateToken } from './token-registry.js';

export interface ProducerOptions {
  redis: RedisTarget;
  /** The app whose queue receives the notifications, when no `routes` are given. @defaultValue `'default'` */
  app?: string;
  /**
   * Route each notification to the app that owns its topic (or to its explicit `app`); a topic no app owns
   * is refused at enqueue. Build it with `routesFor(config.apps)`. @defaultValue every topic goes to `app`
   */
  routes?: AppRoutes;
  /**
   * BullMQ options for every job. Defaults keep a retry budget and bounded history:
   * @defaultValue `{ attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 86400 } }`
   */
  jobOptions?: JobsOptions;
  /** Notifications per Redis round trip in `sendMany`. @defaultValue 1000 */
  chunkSize?: number;
  /**
   * Notifications of one app packed into one BullMQ job by `sendMany` (each keeps its own id, verdict and
   * status): BullMQ's cost per job is spread over them. Scheduled ones (sendAt/delay) get a job each.
   * @defaultValue DEFAULT_JOB_SIZE
   */
  jobSize?: number;
  /**
   * How long a call may wait for Redis before it fails with RedisUnavailableError (nothing is queued for
   * later: a call that failed never enqueues behind the caller's back). @defaultValue 5000
   */
  redisTimeoutMs?: number;
  /** How long a caller-chosen apnsId is remembered for idempotent enqueue. @defaultValue 24 h */
  idempotencyWindowMs?: number;
  /** The warning on floods of priority-10 Live Activity pushes (live-activity-budget.ts). @defaultValue 60 an hour per target, `process.emitWarning` */
  liveActivityBudget?: LiveActivityBudgetOptions;
}

/**
 * Notifications per job from `sendMany` and `fanOut`. Each job costs the worker about 1 ms of its own (BullMQ's
 * moves and lock, one suppression read, one final-records write, the run's bookkeeping): bench:e2e, medians of
 * 3, gave 57.3 µs of worker CPU per notification with jobs of 100 and 49.4 µs with jobs of 1,000 (10,902/s
 * against 12,359/s). A retry re-sends only a job's unfinished notifications, so a big job costs nothing more
 * when some of it fails.
 */
export const DEFAULT_JOB_SIZE = 1000;

export const DEFAULT_JOB_OPTIONS: JobsOptions = Object.freeze({
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  // Completed jobs are kept only for the board and job reads: each notification's end is in its final record.
  removeOnComplete: { age: 3600, count: 1_000 },
  removeOnFail: { age: 86_400 },
});

export interface Enqueued {
  /** BullMQ job ids, one per job. */
  readonly jobIds: string[];
  /** Notification ids (apns-id), in input order; each can be looked up by `getNotificationStatus`. */
  readonly ids: string[];
}

/**
 * `sendMany` failed part-way (Redis went away between chunks): `enqueued` lists exactly the ids that are in
 * the queue, `notEnqueued` the rest, so the caller can retry just those (with the same apnsIds, safely).
 */
export class PartialEnqueueError extends Error {
  override readonly name = 'PartialEnqueueError';
  constructor(
    readonly enqueued: string[],
    readonly notEnqueued: string[],
    options: { cause: unknown },
  ) {
    super(
      `${enqueued.length} of ${enqueued.length + notEnqueued.length} notifications enqueued before ${(options.cause as Error).message}`,
      options,
    );
  }
}

export interface BatchCheck {
  readonly apps: readonly (string | undefined)[];
  readonly problems: readonly BatchProblem[];
}

/** One payload for many device tokens: every field of a notification but `token` (and `apnsId`), plus `tokens`. */
export type FanOutInput = Omit<NotificationInput, 'token' | 'apnsId'> & {
  readonly tokens: readonly string[];
};

export interface Producer extends Omit<BroadcastProducer, 'close'> {
  /** Validate and enqueue one notification as one job. */
  send(notification: NotificationInput): Promise<Enqueued>;
  /**
   * Validate every notification first; if any is bad, throw one BatchValidationError listing every problem
   * and enqueue nothing. A failure part-way through is a PartialEnqueueError naming what was enqueued.
   */
  sendMany(notifications: readonly NotificationInput[]): Promise<Enqueued>;
  /**
   * Validate and route without enqueuing (no Redis): every problem, in input order, and the app each
   * notification would go to (`undefined` for a bad one). The HTTP API uses it to merge these problems with
   * its own and to check a key's apps before anything is enqueued.
   */
  checkMany(notifications: readonly unknown[]): BatchCheck;
  /**
   * One payload to many tokens: the shared fields are validated and the payload serialized once; each token
   * gets its own id, verdict and status. Any length (enqueued in chunks); bad tokens are all named at once
   * (BatchValidationError over `tokens`) and nothing is enqueued.
   */
  fanOut(input: FanOutInput): Promise<Enqueued>;
  /** The device registered this token again: notifications to it are no longer suppressed. */
  reactivateToken(app: string, token: string): Promise<boolean>;
  /** Resolves when Redis answers within the timeout; else RedisUnavailableError. */
  ping(): Promise<void>;
  /** A notification's status by id, looked up in every app this producer sends to. */
  status(id: string): Promise<(NotificationStatus & { readonly app: string }) | undefined>;
  /** The default app's BullMQ queue (for status reads). */
  readonly queue: Queue<PushJobData>;
  /** Any routed app's queue. */
  queueFor(app: string): Queue<PushJobData>;
  close(): Promise<void>;
}

export function checkAppName(app: string): string {
  if (!APP_NAME_PATTERN.test(app)) {
    throw new ValidationError(
      'app',
      `"${app}" must be 1-63 chars of a-z, 0-9, . _ - (starting with a letter or digit)`,
    );
  }
  return app;
}

export function createProducer(options: ProducerOptions): Producer {
  const routes = options.routes;
  const defaultApp = checkAppName(options.app ?? routes?.apps[0] ?? 'default');
  const chunkSize = options.chunkSize ?? 1000;
  const jobSize = Math.max(1, options.jobSize ?? DEFAULT_JOB_SIZE);
  const jobOptions = { ...DEFAULT_JOB_OPTIONS, ...options.jobOptions };
  const timeoutMs = options.redisTimeoutMs ?? 5000;
  const windowMs = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  const { client, owned } = connectRedis(options.redis, failFastRedisOptions(timeoutMs));
  client.on('error', () => {}); // surfaced to each caller as RedisUnavailableError instead
  const where = typeof options.redis === 'string' ? options.redis.replace(/\/\/[^@/]*@/, '//') : 'Redis';
  /** Run a Redis operation; a connection problem becomes RedisUnavailableError naming the wait. */
  async function withRedis<T>(op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    await redisReady(client, timeoutMs, where);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisUnavailableError(where, timeoutMs, new Error('Command timed out'))),
        Math.max(1, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([op(), timedOut]);
    } catch (err) {
      if (isConnectionError(err)) throw new RedisUnavailableError(where, timeoutMs, err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  const queues = new Map<string, Queue<PushJobData>>();

  function queueFor(app: string): Queue<PushJobData> {
    let queue = queues.get(app);
    if (!queue) {
      queue = new Queue<PushJobData>(QUEUE_NAME, {
        connection: client,
        prefix: queueKeys.bullPrefix(checkAppName(app)),
        defaultJobOptions: jobOptions,
      });
      queue.on('error', () => {}); // a lost connection reaches each caller as RedisUnavailableError instead
      queues.set(app, queue);
    }
    return queue;
  }

  /** Which app sends this notification; refuses topics no app owns. */
  function route(input: NotificationInput, record: NotificationRecord): string {
    if (!routes) {
      if (input.app !== undefined && input.app !== defaultApp) {
        throw new ValidationError('app', `"${input.app}" is not this producer's app ("${defaultApp}")`);
      }
      return defaultApp;
    }
    if (input.app !== undefined) {
      if (!routes.apps.includes(input.app)) {
        throw new ValidationError(
          'app',
          `"${input.app}" is not a configured app (known: ${routes.apps.join(', ')})`,
        );
      }
      return input.app;
    }
    const app = routes.appFor(record.topic);
    if (!app) throw new ValidationError('topic', `"${record.topic}" belongs to no configured app`);
    return app;
  }

  const jobFor = (app: string, { jobId, records }: NamedJob) => {
    const now = Date.now();
    const sendAt = records[0]?.sendAt;
    const delay = sendAt !== undefined && sendAt > now ? sendAt - now : 0;
    return {
      name: PUSH_JOB_NAME,
      // A scheduled notification's clock (retry horizon, dead-token check) starts when it is due.
      data: packJobData(app, now + delay, jobId, records),
      // Keyed by its first notification's id: a repeated enqueue of the same batch is a no-op while it exists.
      opts: { jobId, ...(delay > 0 ? { delay } : {}) },
    };
  };

  const budget = new LiveActivityBudget(options.liveActivityBudget);
  function validate(input: NotificationInput): Routed {
    const record = validateNotification(input, NO_ID_YET);
    if (record.pushType === 'liveactivity') budget.note(`token:${record.token}`, record.priority);
    return { app: route(input, record), record, chosenId: input.apnsId !== undefined };
  }

  /** Broadcasts go to the app owning the bundle id (or its Live Activity topic). */
  const broadcasts = createBroadcastProducer({
    client,
    withRedis,
    jobOptions,
    budget,
    appFor: (bundleId, app) => {
      const topic = routes?.appFor(bundleId) !== undefined ? bundleId : liveActivityTopic(bundleId);
      try {
        return route({ app, topic } as NotificationInput, { topic } as NotificationRecord);
      } catch (err) {
        if (err instanceof ValidationError && err.field === 'topic')
          throw new ValidationError('bundleId', `"${bundleId}" belongs to no configured app`);
        throw err;
      }
    },
  });

  /** Enqueue routed notifications that passed validation; answers ids in input order. */
  async function enqueue(routed: readonly Routed[], fieldOf: (i: number) => string): Promise<Enqueued> {
    const chosen = routed.flatMap((r, i) => (r.chosenId ? [{ ...r, i }] : []));
    const check = await withRedis(() => checkIdempotency(client, chosen));
    if (check.conflict !== undefined) {
      const c = chosen[check.conflict]!;
      throw new IdempotencyConflictError(fieldOf(c.i), c.record.id);
    }
    const skip = new Set([...check.repeated].map((k) => chosen[k]!.i));
    const done: string[] = [];
    const jobIds: string[] = [];
    for (let i = 0; i < routed.length; i += chunkSize) {
      const chunk = routed.slice(i, i + chunkSize).filter((_, k) => !skip.has(i + k));
      // Group by app, keeping each app's order; one addBulk (one MULTI) per app, with the id -> job index of
      // the ids callers chose.
      const byApp = new Map<string, Routed[]>();
      for (const r of chunk) {
        const list = byApp.get(r.app);
        if (list) list.push(r);
        else byApp.set(r.app, [r]);
      }
      for (const [app, list] of byApp) {
        const indexed: (readonly [string, string])[] = [];
        const jobs = packJobs(list, jobSize).map((group) => jobFor(app, nameJob(group, indexed)));
        try {
          await withRedis(async () => {
            if (indexed.length === 0) {
              await queueFor(app).addBulk(jobs);
              return;
            }
            // The index goes out with the jobs, in the same round trip: were the add to fail, an index entry
            // naming a job that does not exist reads as unknown, like no entry.
            const index = client.pipeline();
            indexNotifications(index, app, indexed);
            await Promise.all([queueFor(app).addBulk(jobs), index.exec()]);
          });
        } catch (cause) {
          if (done.length === 0) throw cause;
          const enqueued = new Set(done);
          const rest = routed
            .filter((r, k) => !enqueued.has(r.record.id) && !skip.has(k))
            .map((r) => r.record.id || randomUUID()); // one not reached has no id yet: a fresh one, never used
          throw new PartialEnqueueError(done, rest, { cause });
        }
        for (const r of list) done.push(r.record.id);
        for (const j of jobs) jobIds.push(j.opts.jobId);
      }
    }
    await withRedis(() => rememberIds(client, chosen, windowMs));
    return { jobIds, ids: routed.map((r) => r.record.id) };
  }

  /** Validate every notification, collecting every problem instead of stopping at the first. */
  function validateAll(notifications: readonly unknown[]): {
    routed: (Routed | undefined)[];
    problems: BatchProblem[];
  } {
    const problems: BatchProblem[] = [];
    const routed = notifications.map((n, index) => {
      try {
        return validate(n as NotificationInput);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        problems.push({ index, field: err.field, problem: err.problem });
        return undefined;
      }
    });
    return { routed, problems };
  }

  async function fanOut(input: FanOutInput): Promise<Enqueued> {
    const { tokens, ...shared } = (input ?? {}) as FanOutInput;
    if (!Array.isArray(tokens) || tokens.length === 0)
      throw new ValidationError('tokens', 'must be a non-empty array of device tokens');
    if ((shared as { apnsId?: unknown }).apnsId !== undefined)
      throw new ValidationError(
        'apnsId',
        'one id cannot serve many tokens: leave it out (each token gets its own)',
      );
    // The shared part once (a placeholder token, then each real token checked alone).
    const template = validate({ ...shared, token: '0'.repeat(64) } as NotificationInput);
    const problems: BatchProblem[] = [];
    const routed = tokens.map((t, index): Routed => {
      let token = '';
      try {
        token = checkToken(t);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        problems.push({ index, field: err.field, problem: err.problem });
      }
      return { app: template.app, chosenId: false, record: { ...template.record, id: NO_ID_YET(), token } };
    });
    if (problems.length > 0) throw new BatchValidationError(problems, 'tokens');
    return enqueue(routed, () => 'apnsId');
  }

  async function sendMany(notifications: readonly NotificationInput[]): Promise<Enqueued> {
    if (!Array.isArray(notifications)) throw new ValidationError('notifications', 'must be an array');
    const { routed, problems } = validateAll(notifications);
    if (problems.length > 0) throw new BatchValidationError(problems);
    return enqueue(routed as Routed[], (i) => `notifications[${i}].apnsId`);
  }

  return {
    get queue() {
      return queueFor(defaultApp);
    },
    queueFor,
    async send(notification) {
      return enqueue([validate(notification)], () => 'apnsId');
    },
    sendMany,
    fanOut,
    broadcast: broadcasts.broadcast,
    channel: broadcasts.channel,
    listChannels: broadcasts.listChannels,
    appForBundle: broadcasts.appForBundle,
    broadcastStatus: broadcasts.broadcastStatus,
    async status(id) {
      for (const app of routes?.apps ?? [defaultApp]) {
        const found = await withRedis(() => getNotificationStatus(client, app, id));
        if (found) return { ...found, app };
      }
      return undefined;
    },
    checkMany(notifications) {
      const { routed, problems } = validateAll(notifications);
      return { apps: routed.map((r) => r?.app), problems };
    },
    async ping() {
      await withRedis(() => client.ping());
    },
    async reactivateToken(app, token) {
      return (await withRedis(() => reactivateToken(client, checkAppName(app), token))) !== undefined;
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      await broadcasts.close();
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}

/** The id of a notification whose caller chose none, until `nameJob` gives it one. */
const NO_ID_YET = () => '';

/** A validated notification and the app it goes to. */
interface Routed {
  readonly app: string;
  readonly record: NotificationRecord;
  /** The caller chose the apnsId (so it may repeat it): checked for idempotency. */
  readonly chosenId: boolean;
}

/** Split one app's notifications into jobs of up to `size`; a scheduled one always gets a job of its own. */
function packJobs(routed: readonly Routed[], size: number): Routed[][] {
  const jobs: Routed[][] = [];
  let open: Routed[] = [];
  for (const r of routed) {
    if (r.record.sendAt !== undefined) {
      jobs.push([r]);
      continue;
    }
    open.push(r);
    if (open.length === size) {
      jobs.push(open);
      open = [];
    }
  }
  if (open.length > 0) jobs.push(open);
  return jobs;
}

interface NamedJob {
  readonly jobId: string;
  readonly records: NotificationRecord[];
}

/**
 * The job's id and its notifications' ids: a job whose first id was not chosen gets a made id, and each of its
 * notifications without a chosen id the made id naming it (made-notification-id.ts); every other id goes to
 * `indexed` (id -> job). The records are this call's own (validated here), so their ids are set in place.
 */
function nameJob(group: readonly Routed[], indexed: (readonly [string, string])[]): NamedJob {
  const first = group[0]!;
  const jobId = first.chosenId ? first.record.id : newJobId();
  const records = group.map((r, position) => {
    const record = r.record as { id: string } & NotificationRecord;
    const made = first.chosenId || r.chosenId ? undefined : madeNotificationId(jobId, position);
    if (made !== undefined) record.id = made;
    else {
      if (!r.chosenId) record.id = randomUUID(); // in a job named by a chosen id: random, and indexed
      indexed.push([record.id, jobId]);
    }
    return record;
  });
  return { jobId, records };
}
