/**
 * The dashboard's panels as data: title, kind, unit and PromQL, in the order a person reads them during an
 * incident (is it sending? what fails? is work piling up? is Apple or the worker the bottleneck?).
 *
 * Queries read the recording rules of deploy/prometheus/rules/pushfleet-recording.yaml where one exists
 * (evaluated once per interval, not per refresh), and raw catalogue metrics otherwise. `$app` and
 * `$instance` are the dashboard's variables (regexes; "All" is `.*`). Every query here is run against a
 * real Prometheus scraping a real worker by test/src/observability/prometheus.test.ts and must return data.
 */
import { METRIC_NAMES as M } from '@pushfleet/metrics';

export type PanelKind = 'timeseries' | 'stat' | 'heatmap';

export interface PanelQuery {
  readonly expr: string;
  /** Grafana legend template, e.g. `{{outcome}}`. */
  readonly legend?: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly kind: PanelKind;
  /** Grafana unit id: ops, percentunit, s, short... */
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  /** Stack the series (parts of a whole). */
  readonly stacked?: boolean;
  /** Grid width of 24. @defaultValue 8 */
  readonly width?: number;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** Outcomes that end a notification without delivering it (suppressed is not one: nothing was sent). */
export const FAILURE_OUTCOMES = 'rejected|token-invalid|creds-broken|expired|dead-lettered';

const app = 'app=~"$app"';
const appInstance = 'app=~"$app", instance=~"$instance"';

export const ROWS: readonly RowSpec[] = [
  {
    title: 'Delivery',
    panels: [
      {
        title: 'Throughput by outcome',
        description:
          'Notifications per second by outcome: APNs verdicts, and what the fleet ended itself (suppressed, expired, dead-lettered). retry is a try that will be sent again.',
        kind: 'timeseries',
        unit: 'ops',
        stacked: true,
        queries: [
          {
            expr: `sum by (outcome) (app_outcome:pushfleet_notifications:rate5m{${app}})`,
            legend: '{{outcome}}',
          },
        ],
      },
      {
        title: 'Success ratio',
        description: 'Delivered ÷ (delivered + failed final outcomes) over 5 minutes.',
        kind: 'stat',
        unit: 'percentunit',
        width: 4,
        queries: [
          {
            expr: `sum(app:pushfleet_delivered:rate5m{${app}}) / (sum(app:pushfleet_delivered:rate5m{${app}}) + sum(app:pushfleet_failed:rate5m{${app}}))`,
          },
        ],
      },
      {
        title: 'Failures by reason',
        description: `Notifications per second that did not end delivered (and retries), by outcome and Apple's reason.`,
        kind: 'timeseries',
        unit: 'ops',
        stacked: true,
        width: 12,
        queries: [
          {
            expr: `sum by (outcome, reason) (app_outcome_reason:pushfleet_failures:rate5m{${app}})`,
            legend: '{{outcome}} {{reason}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Latency',
    panels: [
      {
        title: 'Enqueue to verdict p50 / p99',
        description: 'Time from enqueue to final verdict per notification, retries and waiting included.',
        kind: 'timeseries',
        unit: 's',
        width: 12,
        queries: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (app_le:pushfleet_notification_end_to_end_seconds_bucket:rate5m{${app}}))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (app_le:pushfleet_notification_end_to_end_seconds_bucket:rate5m{${app}}))`,
            legend: 'p99',
          },
        ],
      },
      {
        title: 'Enqueue to verdict (heatmap)',
        description: 'How many notifications reached their verdict within each time bucket.',
        kind: 'heatmap',
        unit: 's',
        width: 12,
        queries: [
          {
            expr: `sum by (le) (rate(${M.endToEnd}_bucket{${app}}[$__rate_interval]))`,
            legend: '{{le}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Queue',
    panels: [
      {
        title: 'Queue depth by state',
        description:
          'Jobs in the queue by state, read from Redis (the same on every worker, so max over workers). delayed holds retries in backoff and scheduled sends.',
        kind: 'timeseries',
        unit: 'short',
        queries: [
          {
            expr: `sum by (state) (app_state:pushfleet_queue_jobs:max{${app}})`,
            legend: '{{state}}',
          },
        ],
      },
      {
        title: 'Oldest waiting job',
        description: 'How long the job at the head of the wait list has been due without a worker taking it.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: `app:pushfleet_queue_oldest_waiting_age_seconds:max{${app}}`,
            legend: '{{app}}',
          },
        ],
      },
      {
        title: 'Dead-letter list',
        description:
          'Entries waiting for an operator (`pushfleet dlq list|retry|purge APP`): retried to the horizon, or expired.',
        kind: 'timeseries',
        unit: 'short',
        width: 4,
        queries: [{ expr: `app:pushfleet_dead_letters:max{${app}}`, legend: '{{app}}' }],
      },
      {
        title: 'Dead tokens per hour',
        description:
          'Device tokens newly recorded dead (410 Unregistered, BadDeviceToken, feedback) in the last hour.',
        kind: 'timeseries',
        unit: 'short',
        width: 4,
        queries: [{ expr: `app:pushfleet_invalid_tokens:increase1h{${app}}`, legend: '{{app}}' }],
      },
    ],
  },
  {
    title: 'Connections to APNs',
    panels: [
      {
        title: 'Connections open',
        description: 'HTTP/2 sessions (or legacy sockets) each worker holds to APNs.',
        kind: 'timeseries',
        unit: 'short',
        queries: [
          {
            expr: `sum by (instance, app) (${M.connectionsOpen}{${appInstance}})`,
            legend: '{{instance}} {{app}}',
          },
        ],
      },
      {
        title: 'GOAWAYs and reconnects',
        description:
          'Connections ended by a GOAWAY, and connections opened (first connects and reconnects), per second.',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          { expr: `sum(app:pushfleet_goaways:rate5m{${app}})`, legend: 'GOAWAY' },
          { expr: `sum(app:pushfleet_reconnects:rate5m{${app}})`, legend: 'connections opened' },
        ],
      },
      {
        title: 'Resends (possible duplicates)',
        description:
          'Sends of an apns-id that may already have reached Apple, by cause: the transport error before it, or stall (a worker died mid-job).',
        kind: 'timeseries',
        unit: 'ops',
        stacked: true,
        queries: [
          { expr: `sum by (cause) (app_cause:pushfleet_resends:rate5m{${app}})`, legend: '{{cause}}' },
        ],
      },
    ],
  },
  {
    title: 'Broadcasts',
    panels: [
      {
        title: 'Broadcasts queue by state',
        description:
          "Jobs in the apps' broadcasts queues (a broadcast push or a channel operation each) by state, dead-lettered included.",
        kind: 'timeseries',
        unit: 'short',
        queries: [
          {
            expr: `sum by (state) (max by (app, state) (${M.broadcastQueueJobs}{${app}}))`,
            legend: '{{state}}',
          },
        ],
      },
      {
        title: 'Broadcast channels',
        description:
          'Channels each app owns in its registry; Apple refuses the 10,001st per bundle id (alert at 9,000).',
        kind: 'timeseries',
        unit: 'short',
        queries: [{ expr: `max by (app) (${M.broadcastChannels}{${app}})`, legend: '{{app}}' }],
      },
    ],
  },
  {
    title: 'Workers',
    panels: [
      {
        title: 'Saturation (in flight ÷ capacity)',
        description:
          "Each worker's notifications in flight over the app's send limit (the adaptive limiter's, lowered by 429s). Near 1: the worker is full.",
        kind: 'timeseries',
        unit: 'percentunit',
        queries: [
          {
            expr: `instance_app:pushfleet_saturation:ratio{${appInstance}}`,
            legend: '{{instance}} {{app}}',
          },
        ],
      },
      {
        title: 'Event-loop lag p99',
        description:
          'How late each worker runs its callbacks: over ~100 ms it answers APNs and renews job locks late.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: 'max by (instance) (nodejs_eventloop_lag_p99_seconds{instance=~"$instance"})',
            legend: '{{instance}}',
          },
        ],
      },
      {
        title: 'Workers up',
        description: 'Workers Prometheus scrapes successfully.',
        kind: 'stat',
        unit: 'short',
        queries: [{ expr: 'sum(up{job="pushfleet-worker", instance=~"$instance"})' }],
      },
    ],
  },
];
