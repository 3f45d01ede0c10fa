/**
 * Gauges read when Prometheus scrapes: each app's queue depth by state (and its broadcasts queue's), the age
 * of its oldest waiting job and whether it is paused (from Redis, a pipeline per queue and a GET per app,
 * cached `cacheMs` so several scrapers or a fast scrape interval cost one read), and what this worker's
 * limiters have in flight. Queue depth is a fact of the shared queue: every worker reports the same values,
 * so dashboards and KEDA aggregate it with `max`, never `sum`.
 *
 * When Redis cannot be read within `timeoutMs` (the worker's client queues commands while Redis is away)
 * the app's queue series are removed rather than left stale: no data is an honest "unknown", a stale
 * backlog would mislead an autoscaler, and the scrape itself still answers in time.
 */
import { type FleetMetrics, QUEUE_STATES, type QueueState } from '@pushfleet/metrics';
import {
  getAppPause,
  type QueueDepth,
  type QueueHead,
  type RedisClient,
  readBroadcastQueueDepth,
  readQueueDepth,
} from '@pushfleet/queue';

/** How long one read of the queues serves scrapes. @defaultValue 2000 */
export const DEFAULT_QUEUE_DEPTH_CACHE_MS = 2_000;

/** A scrape gives up on Redis after this long. @defaultValue 1000 */
export const DEFAULT_SCRAPE_REDIS_TIMEOUT_MS = 1_000;

export interface ScrapeGaugesOptions {
  /** @defaultValue DEFAULT_QUEUE_DEPTH_CACHE_MS */
  readonly cacheMs?: number;
  /** @defaultValue DEFAULT_SCRAPE_REDIS_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

export interface ScrapedApp {
  readonly name: string;
  /** The app's limiter: notifications in flight now and the current limit. */
  readonly limiter: { readonly inFlight: number; readonly limit: number };
  /** The app has a broadcasts queue (HTTP/2 apps): its depth is read too. */
  readonly broadcasts?: boolean;
}

const STATE_FIELDS: Record<QueueState, keyof Omit<QueueDepth, 'head'>> = {
  waiting: 'waiting',
  active: 'active',
  delayed: 'delayed',
  prioritized: 'prioritized',
  failed: 'failed',
  'dead-lettered': 'deadLettered',
};

/** Returns the function to run before each scrape. */
export function createScrapeGauges(
  redis: RedisClient,
  apps: readonly ScrapedApp[],
  metrics: FleetMetrics,
  options: ScrapeGaugesOptions = {},
): () => Promise<void> {
  const cacheMs = options.cacheMs ?? DEFAULT_QUEUE_DEPTH_CACHE_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_REDIS_TIMEOUT_MS;
  const heads = new Map<string, QueueHead | undefined>();
  const broadcastHeads = new Map<string, QueueHead | undefined>();
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;

  const readQueues = async () => {
    const now = Date.now();
    await Promise.all(
      apps.map(async ({ name: app, broadcasts }) => {
        let depth: QueueDepth;
        let paused: boolean;
        let broadcastDepth: QueueDepth | undefined;
        try {
          [depth, paused, broadcastDepth] = await withTimeout(
            Promise.all([
              readQueueDepth(redis, app, heads.get(app), now),
              getAppPause(redis, app).then((p) => p !== undefined),
              broadcasts ? readBroadcastQueueDepth(redis, app, broadcastHeads.get(app), now) : undefined,
            ]),
            timeoutMs,
          );
        } catch {
          for (const state of QUEUE_STATES) {
            metrics.queueJobs.remove({ app, state });
            metrics.broadcastQueueJobs.remove({ app, state });
          }
          metrics.queueOldestWaitingAge.remove({ app });
          return;
        }
        metrics.appPaused.set({ app }, paused ? 1 : 0);
        heads.set(app, depth.head);
        for (const state of QUEUE_STATES) metrics.queueJobs.set({ app, state }, depth[STATE_FIELDS[state]]);
        if (broadcastDepth) {
          broadcastHeads.set(app, broadcastDepth.head);
          for (const state of QUEUE_STATES)
            metrics.broadcastQueueJobs.set({ app, state }, broadcastDepth[STATE_FIELDS[state]]);
        }
        metrics.deadLetters.set({ app }, depth.deadLettered);
        metrics.queueOldestWaitingAge.set({ app }, depth.head ? (now - depth.head.dueAt) / 1000 : 0);
      }),
    );
    readAt = now;
  };

  return async () => {
    for (const { name, limiter } of apps) {
      metrics.inFlight.set({ app: name }, limiter.inFlight);
      metrics.sendLimit.set({ app: name }, limiter.limit);
    }
    if (Date.now() - readAt < cacheMs) return;
    reading ??= readQueues().finally(() => {
      reading = undefined;
    });
    await reading;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
