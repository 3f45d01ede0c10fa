/**
 * The HTTP API's own metrics, served on the API's `/metrics`: how it is called and how it answers. Route is
 * the route's pattern (`/v1/notifications/:id`), never the raw URL, so the label stays bounded; a key is its
 * configured id, never the key.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** The API answers in ms; a slow Redis makes it seconds (then 503 at the timeout). */
export const API_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export const API_METRIC_NAMES = {
  requests: 'pushfleet_api_requests_total',
  duration: 'pushfleet_api_request_duration_seconds',
  enqueued: 'pushfleet_api_notifications_enqueued_total',
  refused: 'pushfleet_api_notifications_refused_total',
} as const;

export interface ApiMetrics {
  readonly registry: Registry;
  /** Requests answered, by route pattern, method and status code. */
  readonly requests: Counter<'route' | 'method' | 'status'>;
  /** Seconds from a request's arrival to its answer. */
  readonly duration: Histogram<'route' | 'method'>;
  /** Notifications the API put in the queue, by app. */
  readonly enqueued: Counter<'app'>;
  /** Notifications refused at the door (every one of a refused batch), by status: 400, 403, 409, 413, 503. */
  readonly refused: Counter<'status'>;
}

/** Create and register the API's metrics on `registry`. Call once per registry. */
export function createApiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: API_METRIC_NAMES.requests,
      help: 'HTTP API requests answered, by route pattern, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    duration: new Histogram({
      name: API_METRIC_NAMES.duration,
      help: 'Seconds the HTTP API took to answer, by route pattern and method.',
      labelNames: ['route', 'method'] as const,
      buckets: [...API_DURATION_BUCKETS],
      registers,
    }),
    enqueued: new Counter({
      name: API_METRIC_NAMES.enqueued,
      help: 'Notifications the HTTP API enqueued, by app.',
      labelNames: ['app'] as const,
      registers,
    }),
    refused: new Counter({
      name: API_METRIC_NAMES.refused,
      help: 'Notifications the HTTP API refused (nothing of their request was enqueued), by status code.',
      labelNames: ['status'] as const,
      registers,
    }),
  };
}
