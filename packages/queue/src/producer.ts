/**
 * The producer SDK: validate at the door, enqueue in Redis through BullMQ, return at once.
 *
 *   const producer = createProducer({ redis: 'redis://127.0.0.1:6379' });
 *   const { ids } = await producer.send({ token, topic: 'com.example.app', payload: { aps: { alert: 'Hi' } } });
 */
import { type JobsOptions, Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ValidationError } from './errors.js';
import { JOB_RECORD_VERSION, PUSH_JOB_NAME, type PushJobData } from './job.js';
import { type NotificationInput, type NotificationRecord, validateNotification } from './notification.js';
import { APP_NAME_PATTERN, QUEUE_NAME, queueKeys } from './queue-keys.js';

/** Redis to use: a URL, ioredis options, or an ioredis client the caller owns (it is not closed by us). */
export type RedisTarget = string | RedisOptions | Redis;

export interface ProducerOptions {
  redis: RedisTarget;
  /** The app whose queue receives the notifications. @defaultValue `'default'` */
  app?: string;
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
  /** The app's BullMQ queue (for status reads). */
  readonly queue: Queue<PushJobData>;
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
  const app = checkAppName(options.app ?? 'default');
  const chunkSize = options.chunkSize ?? 1000;
  const jobOptions = { ...DEFAULT_JOB_OPTIONS, ...options.jobOptions };
  const { client, owned } = connectRedis(options.redis);
  const queue = new Queue<PushJobData>(QUEUE_NAME, {
    connection: client,
    prefix: queueKeys.bullPrefix(app),
    defaultJobOptions: jobOptions,
  });

  const jobFor = (records: NotificationRecord[]) => ({
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

  async function sendMany(notifications: readonly NotificationInput[]): Promise<Enqueued> {
    if (!Array.isArray(notifications)) throw new ValidationError('notifications', 'must be an array');
    const records = notifications.map((n, i) => {
      try {
        return validateNotification(n);
      } catch (err) {
        throw err instanceof ValidationError
          ? new ValidationError(`notifications[${i}].${err.field}`, err.problem)
          : err;
      }
    });
    const jobIds: string[] = [];
    for (let i = 0; i < records.length; i += chunkSize) {
      const jobs = await queue.addBulk(records.slice(i, i + chunkSize).map((r) => jobFor([r])));
      for (const job of jobs) jobIds.push(job.id!);
    }
    return { jobIds, ids: records.map((r) => r.id) };
  }

  return {
    queue,
    async send(notification) {
      const record = validateNotification(notification);
      const job = await queue.add(PUSH_JOB_NAME, jobFor([record]).data, jobFor([record]).opts);
      return { jobIds: [job.id!], ids: [record.id] };
    },
    sendMany,
    async close() {
      await queue.close();
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
