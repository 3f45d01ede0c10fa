/**
 * The producer SDK: validate at the door, enqueue in Redis through BullMQ, return at once.
 *
 *   const producer = createProducer({ redis: 'redis://127.0.0.1:6379' });
 *   const { ids } = await producer.send({ token, topic: 'com.example.app', payload: { aps: { alert: 'Hi' } } });
 */
import { type JobsOptions, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { AppRoutes } from './app-routes.js';
import { ValidationError } from './errors.js';
import { JOB_RECORD_VERSION, PUSH_JOB_NAME, type PushJobData } from './job.js';
import { type NotificationInput, type NotificationRecord, validateNotification } from './notification.js';
import { APP_NAME_PATTERN, QUEUE_NAME, queueKeys } from './queue-keys.js';

/** Redis to use: a URL, ioredis options, or an ioredis client the caller owns (it is not closed by us). */
export type RedisTarget = string | RedisOptions | Redis;

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
   * @defaultValue `{ attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600, count: 10000 }, removeOnFail: { age: 86400 } }`
   */
  jobOptions?: JobsOptions;
  /** Notifications per Redis round trip in `sendMany`. @defaultValue 1000 */
  chunkSize?: number;
}

export const DEFAULT_JOB_OPTIONS: JobsOptions = Object.freeze({
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 86_400 },
});

export interface Enqueued {
  /** BullMQ job ids, one per job. */
  readonly jobIds: string[];
  /** Notification ids (apns-id), in input order. */
  readonly ids: string[];
}

export interface Producer {
  /** Validate and enqueue one notification as one job. */
  send(notification: NotificationInput): Promise<Enqueued>;
  /** Validate every notification first; if any is bad, throw naming its index and enqueue nothing. */
  sendMany(notifications: readonly NotificationInput[]): Promise<Enqueued>;
  /** The default app's BullMQ queue (for status reads). */
  readonly queue: Queue<PushJobData>;
  /** Any routed app's queue. */
  queueFor(app: string): Queue<PushJobData>;
  close(): Promise<void>;
}

/** Open an ioredis connection suitable for BullMQ (or return the caller's). */
export function connectRedis(
  target: RedisTarget,
  extra: RedisOptions = {},
): { client: Redis; owned: boolean } {
  if (target instanceof Redis) return { client: target, owned: false };
  const opts: RedisOptions = { maxRetriesPerRequest: null, ...extra };
  const client = typeof target === 'string' ? new Redis(target, opts) : new Redis({ ...target, ...opts });
  return { client, owned: true };
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
  const jobOptions = { ...DEFAULT_JOB_OPTIONS, ...options.jobOptions };
  const { client, owned } = connectRedis(options.redis);
  const queues = new Map<string, Queue<PushJobData>>();

  function queueFor(app: string): Queue<PushJobData> {
    let queue = queues.get(app);
    if (!queue) {
      queue = new Queue<PushJobData>(QUEUE_NAME, {
        connection: client,
        prefix: queueKeys.bullPrefix(checkAppName(app)),
        defaultJobOptions: jobOptions,
      });
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

  const jobFor = (app: string, records: NotificationRecord[]) => ({
    name: PUSH_JOB_NAME,
    data: {
      v: JOB_RECORD_VERSION,
      app,
      enqueuedAt: Date.now(),
      notifications: records,
    } satisfies PushJobData,
    // A single-notification job is keyed by its apns-id: enqueueing the same id twice is a no-op.
    opts: records.length === 1 ? { jobId: records[0]!.id } : {},
  });

  function validate(input: NotificationInput): { app: string; record: NotificationRecord } {
    const record = validateNotification(input);
    return { app: route(input, record), record };
  }

  async function sendMany(notifications: readonly NotificationInput[]): Promise<Enqueued> {
    if (!Array.isArray(notifications)) throw new ValidationError('notifications', 'must be an array');
    const routed = notifications.map((n, i) => {
      try {
        return validate(n);
      } catch (err) {
        throw err instanceof ValidationError ? err.under(`notifications[${i}]`) : err;
      }
    });
    const jobIds: string[] = [];
    for (let i = 0; i < routed.length; i += chunkSize) {
      const chunk = routed.slice(i, i + chunkSize);
      // Group by app, keeping each app's order; one addBulk (one MULTI) per app.
      const byApp = new Map<string, NotificationRecord[]>();
      for (const { app, record } of chunk) byApp.set(app, [...(byApp.get(app) ?? []), record]);
      for (const [app, records] of byApp) {
        await queueFor(app).addBulk(records.map((r) => jobFor(app, [r])));
      }
      for (const { record } of chunk) jobIds.push(record.id);
    }
    return { jobIds, ids: routed.map((r) => r.record.id) };
  }

  return {
    get queue() {
      return queueFor(defaultApp);
    },
    queueFor,
    async send(notification) {
      const { app, record } = validate(notification);
      const job = jobFor(app, [record]);
      await queueFor(app).add(job.name, job.data, job.opts);
      return { jobIds: [record.id], ids: [record.id] };
    },
    sendMany,
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
