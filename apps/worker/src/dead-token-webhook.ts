/**
 * The dead-token webhook: each app that configures one gets its newly recorded dead tokens POSTed in
 * batches to its URL, signed (webhook-signature.ts), read from the app's feedback stream from a position
 * kept in Redis. At least once: the position moves only after a 2xx, so a crash or an outage re-delivers;
 * a failure is retried with exponential backoff and jitter (1 s doubling to 1 min), forever, never skipping.
 * One worker of the fleet delivers an app's webhook at a time (a lease in Redis, renewed while it runs), so
 * scaling workers does not multiply deliveries.
 *
 * It runs in the worker process: the worker always runs wherever the fleet does and already holds every
 * app's resolved configuration (the secret comes from its environment); the API is optional.
 *
 * Body: { "app": "shop", "tokens": [{ "id", "token", "reason", "timestamp", "topic"?, "source", "recordedAt" }] }
 * (`id` is the feedback-stream id: a receiver may use it to drop a batch it has already seen).
 */
import { hostname } from 'node:os';
import type { ResolvedApp, ResolvedWebhook } from '@pushfleet/config';
import { createLogger, type Logger } from '@pushfleet/log';
import { createWebhookMetrics, type Registry, type WebhookMetrics } from '@pushfleet/metrics';
import {
  advanceWebhookPosition,
  type FeedbackEntry,
  getWebhookPosition,
  holdWebhookLease,
  type RedisClient,
  readFeedback,
  releaseWebhookLease,
} from '@pushfleet/queue';
import { signWebhookBody, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';

export interface DeadTokenWebhookOptions {
  /** How often an idle dispatcher looks for new dead tokens. @defaultValue 1000 */
  pollMs?: number;
  /** How long a lease lasts unless renewed; another worker takes over after it. @defaultValue 15000 */
  leaseMs?: number;
  /** The first retry delay's ceiling, doubling per failure. @defaultValue 1000 */
  retryBaseMs?: number;
  /** The longest retry delay. @defaultValue 60000 */
  retryMaxMs?: number;
  /** How long one POST may take. @defaultValue 10000 */
  requestTimeoutMs?: number;
  /** Who holds the lease. @defaultValue host:pid */
  owner?: string;
  /** Where its log lines go. @defaultValue a new worker logger */
  log?: Logger;
}

export interface DeadTokenWebhooks {
  /** Stop delivering (a POST under way finishes first) and give the leases up. Idempotent. */
  stop(): Promise<void>;
}

interface Dispatcher {
  readonly app: string;
  done: Promise<void>;
}

/** Start a dispatcher for every app with a webhook; its metrics go on `registry`. */
export function startDeadTokenWebhooks(
  apps: readonly ResolvedApp[],
  redis: RedisClient,
  registry: Registry,
  options: DeadTokenWebhookOptions = {},
): DeadTokenWebhooks {
  const log = options.log ?? createLogger({ name: 'worker' });
  const withHook = apps.filter((a) => a.webhook);
  const metrics = withHook.length > 0 ? createWebhookMetrics(registry) : undefined;
  const stopping = new AbortController();
  const dispatchers: Dispatcher[] = withHook.map((a) => ({
    app: a.name,
    done: runDispatcher(a.name, a.webhook!, redis, metrics!, { ...options, log }, stopping.signal),
  }));
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        stopping.abort();
        await Promise.all(dispatchers.map((d) => d.done));
      })()),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function runDispatcher(
  app: string,
  webhook: ResolvedWebhook,
  redis: RedisClient,
  metrics: WebhookMetrics,
  options: DeadTokenWebhookOptions,
  signal: AbortSignal,
): Promise<void> {
  const pollMs = options.pollMs ?? 1000;
  const leaseMs = options.leaseMs ?? 15_000;
  const baseMs = options.retryBaseMs ?? 1000;
  const maxMs = options.retryMaxMs ?? 60_000;
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  const where = new URL(webhook.url).origin; // logged: never the path's query, never the secret
  let failures = 0;
  metrics.lag.set({ app }, 0);
  while (!signal.aborted) {
    let wait = pollMs;
    try {
      if (await holdWebhookLease(redis, app, owner, leaseMs)) {
        const position = await getWebhookPosition(redis, app);
        const entries = await readFeedback(redis, app, position, webhook.batchSize);
        metrics.lag.set({ app }, entries[0] ? Math.max(0, (Date.now() - entries[0].recordedAt) / 1000) : 0);
        if (entries.length > 0) {
          const delivered = await post(webhook, app, entries, options.requestTimeoutMs ?? 10_000);
          if (delivered === true) {
            await advanceWebhookPosition(redis, app, entries[entries.length - 1]!.id);
            metrics.posts.inc({ app, outcome: 'delivered' });
            metrics.tokens.inc({ app }, entries.length);
            if (failures > 0) options.log?.info({ app, url: where, failures }, 'webhook delivered again');
            failures = 0;
            wait = entries.length === webhook.batchSize ? 0 : pollMs; // more waiting: go on at once
          } else {
            metrics.posts.inc({ app, outcome: 'failed' });
            if (failures === 0)
              options.log?.warn(
                { app, url: where, error: delivered },
                'webhook failed; retrying with backoff',
              );
            failures++;
            const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 20));
            wait = Math.max(baseMs / 4, Math.random() * ceiling);
          }
        }
      }
    } catch {
      // Redis away: the worker logs the outage once; try again later, nothing is skipped.
      wait = Math.min(maxMs, Math.max(pollMs, baseMs));
    }
    if (wait > 0) await sleep(wait, signal);
  }
  await releaseWebhookLease(redis, app, owner).catch(() => {});
}

/** POST one batch: true on 2xx, else why not (a status, or the network error). */
async function post(
  webhook: ResolvedWebhook,
  app: string,
  entries: readonly FeedbackEntry[],
  timeoutMs: number,
): Promise<true | string> {
  const body = JSON.stringify({ app, tokens: entries });
  const signature = signWebhookBody(webhook.secret, body, Math.floor(Date.now() / 1000));
  try {
    const res = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WEBHOOK_SIGNATURE_HEADER]: signature,
        'user-agent': 'pushfleet-webhook/1',
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? true : `HTTP ${res.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return cause ?? (err as Error).name;
  }
}
