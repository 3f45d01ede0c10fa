/**
 * The producer's broadcast side: broadcasts and channel operations validated at the door and enqueued as jobs
 * in the app's `broadcasts` queue (broadcast-job.ts), and the channel registry read back (channel-registry.ts).
 * A broadcast to a channel the registry knows is checked against it at enqueue: not deleted, and expiration 0
 * on a No-Message-Stored channel (APNs would answer BadExpirationDate).
 */

import { randomUUID } from 'node:crypto';
import { type JobsOptions, Queue } from 'bullmq';
import {
  BROADCAST_JOB_NAME,
  type BroadcastInput,
  type BroadcastJobData,
  type BroadcastJobResult,
  CHANNEL_JOB_NAME,
  type ChannelJobData,
  type ChannelOperation,
  validateBroadcast,
  validateChannelOperation,
} from './broadcast-job.js';
import { type ChannelEntry, getChannel, listChannels } from './channel-registry.js';
import { ValidationError } from './errors.js';
import type { LiveActivityBudget } from './live-activity-budget.js';
import { appBroadcastQueue } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

type BroadcastQueue = Queue<BroadcastJobData | ChannelJobData, BroadcastJobResult>;

export interface BroadcastEnqueued {
  readonly app: string;
  /** The broadcast's or operation's id, also its BullMQ job id. */
  readonly id: string;
}

export interface BroadcastStatus {
  readonly app: string;
  readonly id: string;
  readonly state: 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'unknown';
  readonly result?: BroadcastJobResult | undefined;
  readonly attempts: number;
}

export interface BroadcastProducer {
  /** Validate one broadcast (5,120 bytes at most, Live Activity checks) and enqueue it. */
  broadcast(input: BroadcastInput): Promise<BroadcastEnqueued>;
  /** Enqueue a channel create, delete or sync for the app owning the bundle id. */
  channel(operation: ChannelOperation & { readonly app?: string | undefined }): Promise<BroadcastEnqueued>;
  /** The app's channel registry (live ones only with `live`). */
  listChannels(
    app: string,
    options?: { readonly live?: boolean; readonly bundleId?: string },
  ): Promise<ChannelEntry[]>;
  /** The app a bundle id's broadcasts and channels belong to (or `app`, checked); throws ValidationError. */
  appForBundle(bundleId: string, app?: string): string;
  /** Where a broadcast or channel operation stands, by id. */
  broadcastStatus(app: string, id: string): Promise<BroadcastStatus>;
  close(): Promise<void>;
}

export interface BroadcastProducerDeps {
  readonly client: RedisClient;
  readonly withRedis: <T>(op: () => Promise<T>) => Promise<T>;
  /** The app a bundle id's broadcasts go to; throws ValidationError naming `bundleId` or `app`. */
  readonly appFor: (bundleId: string, app: string | undefined) => string;
  readonly jobOptions: JobsOptions;
  readonly budget: LiveActivityBudget;
}

export function createBroadcastProducer(deps: BroadcastProducerDeps): BroadcastProducer {
  const queues = new Map<string, BroadcastQueue>();
  const queueFor = (app: string): BroadcastQueue => {
    let queue = queues.get(app);
    if (queue === undefined) {
      const { name, prefix } = appBroadcastQueue(app);
      queue = new Queue(name, { connection: deps.client, prefix, defaultJobOptions: deps.jobOptions });
      queue.on('error', () => {});
      queues.set(app, queue);
    }
    return queue;
  };

  return {
    async broadcast(input) {
      const record = validateBroadcast(input);
      const app = deps.appFor(record.bundleId, input.app);
      const known = await deps.withRedis(() => getChannel(deps.client, app, record.channelId));
      if (known?.deletedAt !== undefined)
        throw new ValidationError('channelId', `channel ${record.channelId} was deleted; create a new one`);
      if (known?.storagePolicy === 0 && record.expiration !== 0)
        throw new ValidationError(
          'expiration',
          'must be 0: the channel stores no message (storage policy 0)',
        );
      deps.budget.note(`channel:${record.channelId}`, record.priority);
      const data: BroadcastJobData = { v: 1, app, enqueuedAt: Date.now(), broadcast: record };
      await deps.withRedis(() => queueFor(app).add(BROADCAST_JOB_NAME, data, { jobId: record.id }));
      return { app, id: record.id };
    },
    async channel(operation) {
      const op = validateChannelOperation(operation);
      const app = deps.appFor(op.bundleId, operation.app);
      const id = randomUUID();
      const data: ChannelJobData = { v: 1, app, enqueuedAt: Date.now(), id, operation: op };
      await deps.withRedis(() => queueFor(app).add(CHANNEL_JOB_NAME, data, { jobId: id }));
      return { app, id };
    },
    appForBundle: (bundleId, app) => deps.appFor(bundleId, app),
    listChannels: (app, options) => deps.withRedis(() => listChannels(deps.client, app, options)),
    async broadcastStatus(app, id) {
      let job = await deps.withRedis(() => queueFor(app).getJob(id));
      if (job === undefined) return { app, id, state: 'unknown', attempts: 0 };
      const state = await deps.withRedis(() => job!.getState());
      // The job may have finished between the two reads: its record is then read again, with its result.
      if ((state === 'completed' || state === 'failed') && job.finishedOn === undefined)
        job = (await deps.withRedis(() => queueFor(app).getJob(id))) ?? job;
      const known = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
      const failure = job.failedReason ? (parseResult(job.failedReason) ?? undefined) : undefined;
      return {
        app,
        id,
        state: (known as readonly string[]).includes(state) ? (state as BroadcastStatus['state']) : 'unknown',
        result: job.returnvalue ?? failure,
        attempts: job.attemptsMade,
      };
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

/** A failed broadcast job's reason is its BroadcastJobResult as JSON (the worker throws it so). */
function parseResult(text: string): BroadcastJobResult | undefined {
  try {
    const value = JSON.parse(text) as BroadcastJobResult;
    return typeof value === 'object' && value !== null && 'outcome' in value ? value : undefined;
  } catch {
    return undefined;
  }
}
