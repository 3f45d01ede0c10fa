/**
 * The dead-token webhook's metrics (served on the worker's `/metrics`, beside the fleet's): how far behind
 * the receiver is and how often it fails.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const WEBHOOK_METRIC_NAMES = {
  posts: 'pushfleet_webhook_posts_total',
  tokens: 'pushfleet_webhook_tokens_delivered_total',
  lag: 'pushfleet_webhook_lag_seconds',
} as const;

export interface WebhookMetrics {
  readonly registry: Registry;
  /** POSTs to the app's receiver, by outcome: delivered (2xx) or failed (any other status, or no answer). */
  readonly posts: Counter<'app' | 'outcome'>;
  /** Dead tokens the receiver acknowledged (at least once: a retried batch counts again). */
  readonly tokens: Counter<'app'>;
  /** Age of the oldest dead token the receiver has not acknowledged; 0 when it has them all. */
  readonly lag: Gauge<'app'>;
}

/** Create and register the webhook's metrics on `registry`. Call once per registry. */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  return {
    registry,
    posts: new Counter({
      name: WEBHOOK_METRIC_NAMES.posts,
      help: "POSTs of dead-token batches to the app's webhook, by outcome (delivered, failed).",
      labelNames: ['app', 'outcome'] as const,
      registers,
    }),
    tokens: new Counter({
      name: WEBHOOK_METRIC_NAMES.tokens,
      help: "Dead tokens the app's webhook receiver acknowledged (a re-sent batch counts again).",
      labelNames: ['app'] as const,
      registers,
    }),
    lag: new Gauge({
      name: WEBHOOK_METRIC_NAMES.lag,
      help: 'Seconds since the oldest dead token not yet acknowledged by the webhook was recorded (0 = caught up).',
      labelNames: ['app'] as const,
      registers,
    }),
  };
}
