/**
 * What the push-processor suites share: a redis-server of the test file's own, and per test an app with a
 * real BullMQ Queue and Worker running `createPushProcessor` against a sender that answers from a script.
 * Redis and BullMQ are real; only the APNs transport is replaced (it has its own tests).
 */
import { EventEmitter } from 'node:events';
import {
  type ApnsRequest,
  actionFor,
  outcomeFor,
  type SendReceiver,
  TransportError,
  type TransportErrorCode,
  type Verdict,
} from '@pushfleet/apns';
import { createFleetMetrics, type FleetMetrics } from '@pushfleet/metrics';
import {
  type CompletedPushJob,
  candidateJobId,
  getPushJobStatus,
  indexNotifications,
  type NotificationRecord,
  PUSH_JOB_NAME,
  type PushJobData,
  type PushJobResult,
  packJobData,
  QUEUE_NAME,
  queueKeys,
  validateNotification,
} from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { DelayedError, type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { TransportName } from '../instrumentation.js';
import { createPushProcessor, type PushProcessorOptions, type PushSender } from '../push-processor.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicyOptions } from '../retry-policy.js';

export const TOPIC = 'com.example.app';

/** A 64-digit device token, distinct per `i`. */
export const token = (i: number) => i.toString(16).padStart(64, '0');

/** A validated notification record for `tok`, as the producer stores it. */
export const notification = (tok: string): NotificationRecord =>
  validateNotification({ token: tok, topic: TOPIC, payload: { aps: { alert: 'hi' } } });

/** One scripted answer: APNs' status (+ reason, + 410 timestamp), or no answer at all. */
export type Answer =
  | { status: number; reason?: string; timestamp?: number }
  | { noAnswer: TransportErrorCode };

export const ok: Answer = { status: 200 };
export const apple = (status: number, reason: string, timestamp?: number): Answer => ({
  status,
  reason,
  ...(timestamp !== undefined ? { timestamp } : {}),
});
export const noAnswer = (code: TransportErrorCode): Answer => ({ noAnswer: code });

/**
 * A PushSender answering each token from its own list, in order; verdicts get their action and outcome
 * from apns' reason table, as the real transports' do. Every request is kept, in send order.
 */
export class ScriptedSender implements PushSender {
  readonly requests: ApnsRequest[] = [];
  /** How often the processor asked for fresh connections (a `reconnect` answer). */
  recycled = 0;
  recycleConnections(): void {
    this.recycled++;
  }
  private readonly script: Map<string, Answer[]>;

  constructor(script: Record<string, Answer[]>) {
    this.script = new Map(Object.entries(script).map(([tok, answers]) => [tok, [...answers]]));
  }

  /** Tokens sent to, in order. */
  sentTo(): string[] {
    return this.requests.map((r) => r.token);
  }

  /** Answered after a turn of the microtask queue, as a transport answers after its I/O. */
  submit(request: ApnsRequest, receiver: SendReceiver): void {
    this.answer(request).then(
      (verdict) => receiver.resolve(verdict),
      (err: Error) => receiver.reject(err),
    );
  }

  async answer(request: ApnsRequest): Promise<Verdict> {
    this.requests.push(request);
    const next = this.script.get(request.token)?.shift();
    if (!next) throw new Error(`no scripted answer left for token ${request.token}`);
    if ('noAnswer' in next) throw new TransportError(next.noAnswer, `scripted ${next.noAnswer}`);
    const action = next.status === 200 ? undefined : actionFor(next.status, next.reason);
    return {
      outcome: outcomeFor(action),
      action,
      status: next.status,
      apnsId: request.apnsId ?? '',
      ...(next.reason !== undefined ? { reason: next.reason } : {}),
      ...(next.timestamp !== undefined ? { timestamp: next.timestamp } : {}),
    };
  }
}

/**
 * How one run of a job ended, as the Worker reported it, or `delayed` when the processor moved the job to
 * delayed itself (a retry scheduled by the policy, or a job held for broken credentials).
 */
export type Settled =
  | { kind: 'completed'; result: PushJobResult }
  | { kind: 'failed'; error: Error }
  | { kind: 'delayed' };

/** The error an attempt failed with; throws if it did not fail. */
export function failure(s: Settled): Error {
  if (s.kind !== 'failed') throw new Error(`expected the attempt to fail, it ended ${s.kind}`);
  return s.error;
}

export interface AppUnderTest {
  readonly app: string;
  readonly queue: Queue<PushJobData, CompletedPushJob>;
  readonly metrics: FleetMetrics;
  readonly sender: ScriptedSender;
  /**
   * Enqueue one job of these notifications (with `jobId`, else one of the harness's); `settled` is its first
   * attempt's end. Indexed as the producer does: every id but those made for this job.
   */
  enqueue(
    notifications: NotificationRecord[],
    opts?: JobsOptions,
    jobId?: string,
  ): Promise<{ id: string; settled: Promise<Settled> }>;
  /** The end of the job's next attempt (listen before causing it). */
  nextSettle(id: string): Promise<Settled>;
  job(id: string): Promise<Job<PushJobData, CompletedPushJob>>;
  /** A finished job's result as a status read answers it (getPushJobStatus); throws if it has none. */
  result(id: string): Promise<PushJobResult>;
  close(): Promise<void>;
}

export interface AppOptions {
  script: Record<string, Answer[]>;
  transport?: TransportName;
  /** Build the creds-broken handler from the app's Redis and metrics; absent = none. */
  onCredentialsBroken?: (
    redis: Redis,
    app: string,
    metrics: FleetMetrics,
  ) => (reason: string) => Promise<void>;
  credsRetryDelayMs?: number;
  /** @defaultValue RETRY_IN_A_MINUTE */
  retryPolicy?: RetryPolicyOptions;
}

/** Retries wait a minute, so a retried job stays delayed until the test promotes it. */
export const HELD_BACK: JobsOptions = { attempts: 3, backoff: { type: 'fixed', delay: 60_000 } };
/** The production policy with every backoff a minute long: a retried job waits until the test promotes it. */
export const RETRY_IN_A_MINUTE: RetryPolicyOptions = {
  ...DEFAULT_RETRY_POLICY,
  baseDelayMs: 60_000,
  maxDelayMs: 60_000,
  floorMs: 60_000,
};

export interface ProcessorHarness {
  readonly redis: Redis;
  /** A new app (fresh name, queue, worker, metrics registry) running the processor. */
  startApp(options: AppOptions): Promise<AppUnderTest>;
  /** Close every app still open. */
  closeApps(): Promise<void>;
  close(): Promise<void>;
}

let apps = 0;

/**
 * The file's harness, started before its tests and closed after them; each test's apps close after it. Hands
 * the harness to `use` once started (`let harness; processorHarnessPerFile((h) => (harness = h));`).
 */
export function processorHarnessPerFile(use: (harness: ProcessorHarness) => void): void {
  let harness: ProcessorHarness | undefined;
  beforeAll(async () => {
    harness = await startProcessorHarness();
    use(harness);
  });
  afterEach(async () => {
    await harness?.closeApps();
  });
  afterAll(async () => {
    await harness?.close();
  });
}

export async function startProcessorHarness(): Promise<ProcessorHarness> {
  const server: RedisServer = await startRedisServer();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const open: AppUnderTest[] = [];

  async function startApp(options: AppOptions): Promise<AppUnderTest> {
    const app = `proc${++apps}`;
    const metrics = createFleetMetrics(new Registry());
    const sender = new ScriptedSender(options.script);
    const config: PushProcessorOptions = {
      app,
      transport: options.transport ?? 'http2',
      sender,
      redis,
      metrics,
      ...(options.onCredentialsBroken
        ? { onCredentialsBroken: options.onCredentialsBroken(redis, app, metrics) }
        : {}),
      ...(options.credsRetryDelayMs !== undefined ? { credsRetryDelayMs: options.credsRetryDelayMs } : {}),
      retryPolicy: options.retryPolicy ?? RETRY_IN_A_MINUTE,
    };
    const processor = createPushProcessor(config);
    // A held job ends in the processor (it moves itself to delayed); the Worker emits nothing for it.
    const held = new EventEmitter();
    const queue = new Queue<PushJobData, CompletedPushJob>(QUEUE_NAME, {
      connection: redis,
      prefix: queueKeys.bullPrefix(app),
    });
    const worker = new Worker<PushJobData, CompletedPushJob>(
      QUEUE_NAME,
      async (job, lockToken) => {
        try {
          return await processor(job, lockToken);
        } catch (err) {
          if (err instanceof DelayedError) held.emit('delayed', job.id);
          throw err;
        }
      },
      { connection: redis, prefix: queueKeys.bullPrefix(app), concurrency: 1 },
    );
    worker.on('error', () => {}); // surfaced through the job's outcome instead

    const nextSettle = (id: string) =>
      new Promise<Settled>((resolve) => {
        const done = (s: Settled) => {
          worker.off('completed', onCompleted);
          worker.off('failed', onFailed);
          held.off('delayed', onHeld);
          resolve(s);
        };
        // The result as a status read answers it: the stored exceptions, the rest from their final records.
        const onCompleted = (job: Job) => {
          if (job.id !== id) return;
          void getPushJobStatus(queue, id).then((s) => {
            if (!s?.result) throw new Error(`completed job ${id} reads without a result`);
            done({ kind: 'completed', result: s.result });
          });
        };
        const onFailed = (job: Job | undefined, error: Error) => {
          if (job?.id === id) done({ kind: 'failed', error });
        };
        const onHeld = (jobId: string) => {
          if (jobId === id) done({ kind: 'delayed' });
        };
        worker.on('completed', onCompleted);
        worker.on('failed', onFailed);
        held.on('delayed', onHeld);
      });

    let jobs = 0;
    const handle: AppUnderTest = {
      app,
      queue,
      metrics,
      sender,
      async enqueue(notifications, opts = HELD_BACK, jobId = undefined) {
        const id = jobId ?? `${app}-job${++jobs}`;
        const settled = nextSettle(id);
        // Packed as the producer packs them: fields alike in every notification are stored once.
        const data = packJobData(app, Date.now(), id, notifications);
        await queue.add(PUSH_JOB_NAME, data, { ...opts, jobId: id });
        // As the producer does: each notification can be looked up by its id.
        const index = redis.pipeline();
        indexNotifications(
          index,
          app,
          notifications.flatMap((n) => (candidateJobId(n.id) === id ? [] : [[n.id, id] as const])),
        );
        await index.exec();
        return { id, settled };
      },
      nextSettle,
      async job(id) {
        const job = await queue.getJob(id);
        if (!job) throw new Error(`job ${id} not found`);
        return job;
      },
      async result(id) {
        const status = await getPushJobStatus(queue, id);
        if (!status?.result) throw new Error(`job ${id} has no result (state ${status?.state ?? 'gone'})`);
        return status.result;
      },
      async close() {
        await worker.close();
        await queue.close();
      },
    };
    open.push(handle);
    return handle;
  }

  return {
    redis,
    startApp,
    async closeApps() {
      await Promise.all(open.splice(0).map((a) => a.close()));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
      await server.close();
    },
  };
}

type Sample = { labels: Partial<Record<string, string | number>>; value: number; metricName?: string };
type Readable = { get(): Promise<{ values: Sample[] }> };

const matches = (s: Sample, labels: Record<string, string>) =>
  Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/** A counter's or gauge's value for the sample matching these labels (0 when never set). */
export async function metricValue(metric: Readable, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.find((s) => matches(s, labels))?.value ?? 0;
}

/** How many observations a histogram holds under these labels. */
export async function observationCount(metric: Readable, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.find((s) => s.metricName?.endsWith('_count') && matches(s, labels))?.value ?? 0;
}
