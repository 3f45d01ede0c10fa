/**
 * The fleet process: one BullMQ Worker per app, each sending through that app's APNs client, plus the
 * /metrics, /healthz and /readyz endpoint. Stateless: scale by running more of these against the same Redis.
 */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { ResolvedApp } from '@pushfleet/config';
import { createLogger, type Logger, OutageLog } from '@pushfleet/log';
import { createFleetMetrics, type FleetMetrics } from '@pushfleet/metrics';
import {
  appQueue,
  assertNoEviction,
  type CompletedPushJob,
  connectRedis,
  DEFAULT_DEAD_LETTER_LIMITS,
  type PushJobData,
  pauseApp,
  type RedisClient,
} from '@pushfleet/queue';
import { Worker } from 'bullmq';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AdaptiveLimiter } from './adaptive-limiter.js';
import { type BroadcastWorker, startBroadcastWorker } from './broadcast-worker.js';
import type { WorkerConfig } from './config.js';
import { startDeadTokenWebhooks } from './dead-token-webhook.js';
import {
  CLEANUP_DEADLINE_MS,
  DRAIN_DEADLINE_MS,
  drainWorker,
  SHUTDOWN_STEP_MS,
  shutdownStep,
} from './drain.js';
import { DEFAULT_FEEDBACK_INTERVAL_MS, type FeedbackPoller, startFeedbackPoller } from './feedback-poller.js';
import { JobIntake } from './job-intake.js';
import { createOpsServer } from './ops-server.js';
import { createPushProcessor } from './push-processor.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicyOptions } from './retry-policy.js';
import { createScrapeGauges, DEFAULT_QUEUE_DEPTH_CACHE_MS } from './scrape-gauges.js';
import { createSender, type Sender, type SenderOptions } from './senders.js';

export interface FleetWorker extends AsyncDisposable {
  /** Where /metrics is served, e.g. http://127.0.0.1:9464/metrics. */
  readonly metricsUrl: string;
  readonly metrics: FleetMetrics;
  /** Read a legacy app's feedback service now (it is also read every `feedbackIntervalMs`); resolves tokens recorded. */
  readFeedbackNow(app: string): Promise<number>;
  /** Stop taking jobs, finish the ones in flight, close APNs sessions and Redis. Idempotent. */
  close(): Promise<void>;
}

export interface StartFleetWorkerOptions {
  /** Registry to export on; a new one by default. */
  registry?: Registry;
  /** Collect Node process metrics (CPU, memory, event loop). @defaultValue true */
  processMetrics?: boolean;
  /** How often legacy apps read the feedback service. @defaultValue 24 h (Apple: daily) */
  feedbackIntervalMs?: number;
  /** HTTP/2 sessions per app. @defaultValue the pool's (1 at start, up to 4) */
  sessions?: SenderOptions;
  /** How long a job held back by broken credentials waits before it is tried again. @defaultValue 60000 */
  credsRetryDelayMs?: number;
  /** The retry policy of every app (tests shorten its delays). @defaultValue DEFAULT_RETRY_POLICY */
  retryPolicy?: RetryPolicyOptions;
  /** How long one read of the queues' depth serves scrapes. @defaultValue DEFAULT_QUEUE_DEPTH_CACHE_MS */
  queueDepthCacheMs?: number;
  /** @defaultValue a `worker` logger on stderr at `config.logLevel` */
  log?: Logger;
  /** How long close() waits for in-flight jobs before it lets them go. @defaultValue DRAIN_DEADLINE_MS */
  drainDeadlineMs?: number;
  /**
   * The most notifications each app holds in running jobs (main.ts raises it for a legacy-only worker with
   * its heap tuned: legacy-heap.ts). @defaultValue MAX_HELD_NOTIFICATIONS
   */
  maxHeld?: number;
}

/**
 * How BullMQ tells a dead worker from a busy one. The lock is renewed every lockDuration/2 by a timer, so only
 * an event loop frozen for 5 s loses it; a dead worker's jobs are found within lockDuration + stalledInterval
 * (under 10 s) and run again; a stalled job is retried, never failed, whatever its stall count (every re-send
 * it causes is counted in resends{cause="stall"}).
 */
export const STALL_SETTINGS = Object.freeze({
  lockDuration: 5_000,
  stalledInterval: 3_000,
  maxStalledCount: 1_000,
});

interface AppRuntime {
  readonly app: ResolvedApp;
  readonly worker: Worker<PushJobData, CompletedPushJob>;
  readonly client: Sender;
  readonly limiter: AdaptiveLimiter;
  readonly intake: JobIntake;
  readonly feedback: FeedbackPoller | undefined;
  /** The app's broadcasts queue (broadcast-worker.ts); none for legacy apps. */
  readonly broadcast: BroadcastWorker | undefined;
}

/**
 * The fleet's answer to APNs refusing an app's credentials: pause the app for every worker (the first
 * reason is kept), log it once, and raise its `app_paused` gauge.
 */
export function pauseOnBrokenCredentials(
  redis: RedisClient,
  app: string,
  metrics: FleetMetrics,
  log: Logger = createLogger({ name: 'worker' }),
): (reason: string) => Promise<void> {
  return async (reason) => {
    if (await pauseApp(redis, app, reason, `${hostname()}:${process.pid}`)) {
      log.error(
        { app, reason },
        'app paused: APNs refused its credentials; fix them, then run `pushfleet resume <app>`',
      );
    }
    metrics.appPaused.set({ app }, 1);
  };
}

export async function startFleetWorker(
  config: WorkerConfig,
  options: StartFleetWorkerOptions = {},
): Promise<FleetWorker> {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const metrics = createFleetMetrics(registry);
  const log = options.log ?? createLogger({ name: 'worker', level: config.logLevel });
  // One server or a cluster (redis+cluster://); BullMQ duplicates it for each Worker's blocking reads.
  const { client: redis } = connectRedis(config.redisUrl);
  const runtimes: AppRuntime[] = [];
  // One line when Redis goes away and one when it is back, however many errors in between (not one per job);
  // the apps' BullMQ workers share the connection, so their errors belong to the same outage.
  const outages = new OutageLog(log);
  let redisReady = false;
  redis.on('ready', () => {
    redisReady = true;
    outages.recoveredAll();
  });
  redis.on('close', () => (redisReady = false));
  redis.on('error', (err: Error) => outages.failed('redis', err));
  // A Redis that may evict keys would lose queued jobs silently: refuse to start, naming the setting.
  await assertNoEviction(redis).catch((err: unknown) => {
    redis.disconnect();
    throw err;
  });

  for (const app of config.apps) {
    // A connection opening can raise the capacity with nothing settling: the limiter and the intake re-read it.
    let capacityChanged = () => {};
    const client = await createSender(app, metrics, redis, {
      ...options.sessions,
      onConnectionOpened: () => capacityChanged(),
    });
    // Connected before the first job, so the intake takes jobs by the open connection's capacity: BullMQ
    // takes a raised concurrency only when a running job ends, a delivery window (500 ms) later on legacy.
    await client
      .connect?.()
      .catch((err: unknown) =>
        log.warn({ app: app.name, err }, 'could not connect at start; the first send tries again'),
      );
    const limiter = new AdaptiveLimiter(client, {
      ...(client.capacity ? { capacity: () => client.capacity?.() ?? 0 } : {}),
      // A legacy window is its resend ring, which no answer frees: the ceiling is for HTTP/2 apps (config.ts).
      ...(app.transport !== 'legacy' && config.maxInFlight !== undefined ? { max: config.maxInFlight } : {}),
      onLimit: (limit) => metrics.sendLimit.set({ app: app.name }, limit),
    });
    metrics.sendLimit.set({ app: app.name }, limiter.limit);
    // Jobs are taken by the notifications the transport can carry; the BullMQ Worker is made just below.
    let worker: Worker<PushJobData, CompletedPushJob> | undefined;
    const maxJobs = app.transport === 'legacy' ? config.legacyConcurrency : config.concurrency;
    const intake = new JobIntake({
      window: () => limiter.limit,
      maxJobs,
      ...(options.maxHeld !== undefined ? { maxHeld: options.maxHeld } : {}),
      setJobs: (jobs) => {
        if (worker) worker.concurrency = jobs;
      },
    });
    capacityChanged = () => {
      limiter.capacityChanged();
      intake.windowChanged();
    };
    const processor = createPushProcessor({
      app: app.name,
      transport: app.transport,
      sender: limiter,
      redis,
      metrics,
      credsRetryDelayMs: options.credsRetryDelayMs ?? 60_000,
      // The app's configured overrides on top of the fleet's policy (or the caller's, in tests).
      retryPolicy: { ...(options.retryPolicy ?? DEFAULT_RETRY_POLICY), ...app.retry },
      deadLetterLimits: { ...DEFAULT_DEAD_LETTER_LIMITS, ...app.deadLetters },
      onCredentialsBroken: pauseOnBrokenCredentials(redis, app.name, metrics, log),
      log,
      intake,
    });
    const queue = appQueue(app.name);
    worker = new Worker<PushJobData, CompletedPushJob>(queue.name, processor, {
      connection: redis,
      prefix: queue.prefix,
      concurrency: intake.allowedJobs,
      ...STALL_SETTINGS,
    });
    worker.on('error', (err) => outages.failed(`queue ${app.name}`, err, { app: app.name }));
    // A job taken is the queue working again: a cluster client that followed a failover emits no new 'ready'.
    worker.on('active', () => outages.recovered(`queue ${app.name}`, { app: app.name }));
    worker.on('failed', (job, err) => {
      // Each notification's end is already recorded (and dead letters logged); this is the job's summary.
      if (job) log.info({ app: app.name, job: job.id, reason: err.message }, 'job failed');
    });
    worker.on('stalled', (jobId) => {
      metrics.stalledJobs.inc({ app: app.name });
      log.warn({ app: app.name, job: jobId }, 'job stalled: its worker died or froze; another run takes it');
    });
    const feedback = startFeedbackPoller(
      app,
      redis,
      metrics,
      log,
      options.feedbackIntervalMs ?? DEFAULT_FEEDBACK_INTERVAL_MS,
    );
    const broadcast = await startBroadcastWorker({
      app,
      redis,
      metrics,
      log,
      outages,
      policy: { ...(options.retryPolicy ?? DEFAULT_RETRY_POLICY), ...app.retry },
      managementUrl: config.channelManagementUrl,
    });
    runtimes.push({ app, worker, client, limiter, intake, feedback, broadcast });
  }

  const scrapeGauges = createScrapeGauges(
    redis,
    runtimes.map((r) => ({ name: r.app.name, limiter: r.limiter, broadcasts: r.broadcast !== undefined })),
    metrics,
    { cacheMs: options.queueDepthCacheMs ?? DEFAULT_QUEUE_DEPTH_CACHE_MS },
  );

  const webhooks = startDeadTokenWebhooks(config.apps, redis, registry, { log });

  const beforeScrape = async () => {
    // Capacity first, in the same tick as scrapeGauges' in-flight and limit: read across its Redis await,
    // a scrape could show a limit of one moment beside the capacity of a later one.
    for (const r of runtimes) {
      if (r.client.tokenAgeSeconds)
        metrics.providerTokenAge.set({ app: r.app.name }, r.client.tokenAgeSeconds());
      if (r.client.capacity)
        metrics.transportCapacity.set({ app: r.app.name, transport: r.app.transport }, r.client.capacity());
    }
    await scrapeGauges();
    await Promise.all(runtimes.map((r) => r.broadcast?.beforeScrape()));
  };
  const detail = () => ({ redis: redisReady ? 'ready' : 'down', apps: runtimes.map((r) => r.app.name) });
  const ops = createOpsServer(
    registry,
    beforeScrape,
    // Alive: it answers. Ready: Redis reachable and every app's worker running.
    () => ({ ok: true, detail: detail() }),
    () => ({ ok: redisReady && runtimes.every((r) => r.worker.isRunning()), detail: detail() }),
  );
  await new Promise<void>((resolve, reject) => {
    ops.once('error', reject);
    ops.listen(config.metricsPort, config.metricsHost, () => resolve());
  });
  const { port } = ops.address() as AddressInfo;
  const host = config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const r of runtimes) r.feedback?.stop();
      // Finish in-flight jobs first (they complete only after APNs answered), every app at once, then close
      // the sessions. Each later step waits on a peer (Redis, APNs) and is bounded: the worker always exits.
      const deadlineMs = options.drainDeadlineMs ?? DRAIN_DEADLINE_MS;
      const cleanupBy = Date.now() + deadlineMs + CLEANUP_DEADLINE_MS;
      // Each step gets SHUTDOWN_STEP_MS (the queues: the drain too), all of them the cleanup deadline.
      const step = (what: string, run: () => Promise<unknown>, ownMs = SHUTDOWN_STEP_MS) =>
        shutdownStep(what, run, Math.min(cleanupBy, Date.now() + ownMs), log);
      await step('dead-token webhooks', () => webhooks.stop());
      await Promise.all(
        runtimes.map((r) =>
          step(
            `queues ${r.app.name}`,
            async () => {
              const [drained] = await Promise.all([
                drainWorker(r.worker, deadlineMs),
                r.broadcast?.drain(deadlineMs),
              ]);
              if (!drained)
                log.warn(
                  { app: r.app.name, deadlineMs },
                  'drain deadline passed: in-flight jobs go back to the queue',
                );
            },
            deadlineMs + SHUTDOWN_STEP_MS,
          ),
        ),
      );
      await Promise.all(
        runtimes.map((r) =>
          r.broadcast ? step(`broadcasts ${r.app.name}`, () => r.broadcast!.close()) : true,
        ),
      );
      await Promise.all(runtimes.map((r) => step(`connections ${r.app.name}`, () => r.client.close())));
      await step('ops server', async () => {
        const closed = new Promise<void>((resolve) => ops.close(() => resolve()));
        ops.closeAllConnections();
        await closed;
      });
      if (!(await step('redis', () => redis.quit()))) redis.disconnect();
    })());

  const readFeedbackNow = async (app: string) => {
    const poller = runtimes.find((r) => r.app.name === app)?.feedback;
    if (!poller) throw new Error(`${app}: not a legacy app with a feedback service`);
    return poller.runOnce();
  };
  return {
    metricsUrl: `http://${host}:${port}/metrics`,
    metrics,
    readFeedbackNow,
    close,
    [Symbol.asyncDispose]: close,
  };
}
