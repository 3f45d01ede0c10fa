export { Registry } from 'prom-client';
export {
  API_DURATION_BUCKETS,
  API_METRIC_NAMES,
  type ApiMetrics,
  createApiMetrics,
} from './api-catalogue.js';
export {
  APNS_ROUND_TRIP_BUCKETS,
  type AppTransportLabels,
  createFleetMetrics,
  END_TO_END_BUCKETS,
  type FleetMetrics,
  METRIC_NAMES,
  QUEUE_STATES,
  type QueueState,
} from './catalogue.js';
export { CellCounter, CellHistogram, type CounterCell, type HistogramCell } from './cell-metrics.js';
export { createWebhookMetrics, WEBHOOK_METRIC_NAMES, type WebhookMetrics } from './webhook-catalogue.js';
