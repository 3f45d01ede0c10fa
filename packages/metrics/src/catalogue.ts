/**
 * Every metric the fleet exports, defined in one place: name, help, labels, buckets.
 *
 * Conventions: `pushfleet_` prefix, snake_case, `_total` on counters, `_seconds` on durations. App, transport,
 * outcome and reason are bounded labels, never part of a name (the caller maps unknown reasons to "unknown").
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { CellCounter, CellHistogram } from './cell-metrics.js';

/** Round trip from writing a request to APNs' answer. Apple answers in tens of ms; a slow path is seconds. */
export const APNS_ROUND_TRIP_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Time from enqueue to a final verdict. */
export const END_TO_END_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] as const;

/**
 * The `state` label of `pushfleet_queue_jobs`: BullMQ's sets that hold an app's unfinished jobs, plus its
 * dead-letter list. `waiting` includes a paused app's jobs (BullMQ 6 keeps them in wait).
 */
export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'dead-lettered',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export const METRIC_NAMES = {
  notifications: 'pushfleet_notifications_total',
  apnsRoundTrip: 'pushfleet_apns_round_trip_seconds',
  endToEnd: 'pushfleet_notification_end_to_end_seconds',
  transportErrors: 'pushfleet_transport_errors_total',
  connectionsOpen: 'pushfleet_apns_connections_open',
  connectFailures: 'pushfleet_apns_connect_failures_total',
  jobs: 'pushfleet_jobs_total',
  invalidTokens: 'pushfleet_invalid_tokens_recorded_total',
  certificateExpiry: 'pushfleet_certificate_expiry_timestamp_seconds',
  providerTokenAge: 'pushfleet_provider_token_age_seconds',
  appPaused: 'pushfleet_app_paused',
  retries: 'pushfleet_retries_total',
  resends: 'pushfleet_resends_total',
  stalledJobs: 'pushfleet_stalled_jobs_total',
  deadLetters: 'pushfleet_dead_letters',
  sendLimit: 'pushfleet_send_concurrency_limit',
  queueJobs: 'pushfleet_queue_jobs',
  broadcastQueueJobs: 'pushfleet_broadcast_queue_jobs',
  queueOldestWaitingAge: 'pushfleet_queue_oldest_waiting_age_seconds',
  inFlight: 'pushfleet_notifications_in_flight',
  transportCapacity: 'pushfleet_transport_capacity',
  connectionsOpened: 'pushfleet_apns_connections_opened_total',
  connectionsClosed: 'pushfleet_apns_connections_closed_total',
  providerTokenRefreshes: 'pushfleet_provider_token_refreshes_total',
  broadcasts: 'pushfleet_broadcasts_total',
  channelOperations: 'pushfleet_channel_operations_total',
  broadcastChannels: 'pushfleet_broadcast_channels',
} as const;

export type AppTransportLabels = 'app' | 'transport';

export interface FleetMetrics {
  readonly registry: Registry;
  /**
   * One per APNs verdict (outcome delivered|rejected|token-invalid|creds-broken|retry; reason Apple's, "" on 200),
   * and one per notification the fleet ended itself (suppressed|expired|dead-lettered; reason the registry's or
   * the last try's).
   */
  readonly notifications: CellCounter<'app' | 'transport' | 'outcome' | 'reason'>;
  /** Write-to-answer time of each request APNs answered. */
  readonly apnsRoundTrip: CellHistogram<'app' | 'transport' | 'outcome'>;
  /** Enqueue-to-final-verdict time per notification. */
  readonly endToEnd: CellHistogram<'app' | 'outcome'>;
  /** Requests that got no answer (stream reset, GOAWAY, timeout...), by error code. */
  readonly transportErrors: Counter<'app' | 'transport' | 'code'>;
  readonly connectionsOpen: Gauge<AppTransportLabels>;
  readonly connectFailures: Counter<AppTransportLabels>;
  /** Job runs ended by the worker. state: completed|failed|retried (scheduled again)|held (credentials broken). */
  readonly jobs: Counter<'app' | 'state'>;
  /** Dead tokens newly written to the registry. source: http2|legacy|feedback. */
  readonly invalidTokens: Counter<'app' | 'source'>;
  /** notAfter of each certificate-authenticated app's client certificate, UNIX seconds (alert on time() - x). */
  readonly certificateExpiry: Gauge<'app'>;
  /** Age of the provider token each token-authenticated app sends now (Apple rejects tokens over an hour old). */
  readonly providerTokenAge: Gauge<'app'>;
  /** 1 while the app is paused because APNs refused its credentials (resume with `pushfleet resume`). */
  readonly appPaused: Gauge<'app'>;
  /** Notifications scheduled for another try by the retry policy, by the reason of the try that failed. */
  readonly retries: Counter<'app' | 'reason'>;
  /**
   * Sends of an apns-id that may already have reached APNs (a duplicate at Apple is possible), by cause:
   * the previous try's transport error code (STREAM_RESET, CLOSED, TIMEOUT...) or `stall` (its job's earlier
   * run died mid-send).
   */
  readonly resends: Counter<'app' | 'cause'>;
  /** Jobs BullMQ found stalled (their worker died or froze) and handed to another run. */
  readonly stalledJobs: Counter<'app'>;
  /** Entries in the app's dead-letter list (read at scrape). */
  readonly deadLetters: Gauge<'app'>;
  /** How many of the app's notifications may be in flight now: falls under 429s, recovers after. */
  readonly sendLimit: Gauge<'app'>;
  /**
   * Jobs of the app's queue by state (QUEUE_STATES), read from Redis at scrape time (cached a few seconds).
   * A fact about the shared queue, so every worker reports the same value: aggregate with max, never sum.
   */
  readonly queueJobs: Gauge<'app' | 'state'>;
  /** The same states for the app's broadcasts queue (broadcast pushes and channel operations) and its broadcast dead letters. */
  readonly broadcastQueueJobs: Gauge<'app' | 'state'>;
  /** Seconds the job at the head of the app's wait list has waited since it was due (0 when none waits). */
  readonly queueOldestWaitingAge: Gauge<'app'>;
  /** The app's notifications this worker has written to APNs and awaits an answer for (or is about to). */
  readonly inFlight: Gauge<'app'>;
  /**
   * Requests the app's open connections allow at once (HTTP/2: sessions × the server's MAX_CONCURRENT_STREAMS;
   * legacy: the resend ring), read from the sender at each scrape.
   */
  readonly transportCapacity: Gauge<AppTransportLabels>;
  /** Connections to APNs that opened: a rate above the session count's churn is reconnecting. */
  readonly connectionsOpened: Counter<AppTransportLabels>;
  /**
   * Connections to APNs that ended, by bounded reason (goaway, error, remote-closed, ping-timeout,
   * connect-timeout, expired-provider-token, closed, legacy error-response-N; anything else `other`).
   */
  readonly connectionsClosed: Counter<'app' | 'transport' | 'reason'>;
  /**
   * Provider tokens (JWT) put in use, by result: minted (this worker signed it), adopted (another worker's,
   * read from Redis), failed (a read or mint of the shared token did not complete).
   */
  readonly providerTokenRefreshes: Counter<'app' | 'result'>;
  /**
   * One per broadcast verdict (outcome ok|rejected|creds-broken|retry|gone|capacity|capability; reason Apple's,
   * "" on 200) and one per broadcast the fleet ended itself (expired|dead-lettered).
   */
  readonly broadcasts: Counter<'app' | 'outcome' | 'reason'>;
  /** Channel-management requests, by operation (create|read|delete|list), outcome and reason. */
  readonly channelOperations: Counter<'app' | 'operation' | 'outcome' | 'reason'>;
  /** Live broadcast channels in the app's registry (read at scrape): Apple allows 10,000 per app and environment. */
  readonly broadcastChannels: Gauge<'app'>;
}

/** Create and register every fleet metric on `registry`. Call once per registry. */
export function createFleetMetrics(registry: Registry): FleetMetrics {
  const registers = [registry];
  return {
    registry,
    // The three metrics counted per notification are cells (cell-metrics.ts): prom-client's hash per call was 10-19% of the worker.
    notifications: new CellCounter({
      name: METRIC_NAMES.notifications,
      help: 'Notifications APNs gave a verdict for, by app, transport, outcome and reason.',
      labelNames: ['app', 'transport', 'outcome', 'reason'] as const,
      registers,
    }),
    apnsRoundTrip: new CellHistogram({
      name: METRIC_NAMES.apnsRoundTrip,
      help: 'Seconds from writing a notification to APNs answering it.',
      labelNames: ['app', 'transport', 'outcome'] as const,
      buckets: [...APNS_ROUND_TRIP_BUCKETS],
      registers,
    }),
    endToEnd: new CellHistogram({
      name: METRIC_NAMES.endToEnd,
      help: 'Seconds from enqueue to the final verdict of a notification.',
      labelNames: ['app', 'outcome'] as const,
      buckets: [...END_TO_END_BUCKETS],
      registers,
    }),
    transportErrors: new Counter({
      name: METRIC_NAMES.transportErrors,
      help: 'Notifications that got no answer from APNs (they are retried), by error code.',
      labelNames: ['app', 'transport', 'code'] as const,
      registers,
    }),
    connectionsOpen: new Gauge({
      name: METRIC_NAMES.connectionsOpen,
      help: 'Open connections to APNs.',
      labelNames: ['app', 'transport'] as const,
      registers,
    }),
    connectFailures: new Counter({
      name: METRIC_NAMES.connectFailures,
      help: 'Failed attempts to connect to APNs.',
      labelNames: ['app', 'transport'] as const,
      registers,
    }),
    jobs: new Counter({
      name: METRIC_NAMES.jobs,
      help: 'Queue jobs finished by this worker, by final state (retried = failed an attempt, will run again).',
      labelNames: ['app', 'state'] as const,
      registers,
    }),
    invalidTokens: new Counter({
      name: METRIC_NAMES.invalidTokens,
      help: 'Device tokens newly recorded as invalid in the registry.',
      labelNames: ['app', 'source'] as const,
      registers,
    }),
    certificateExpiry: new Gauge({
      name: METRIC_NAMES.certificateExpiry,
      help: 'When the client certificate of a certificate-authenticated app expires, UNIX seconds.',
      labelNames: ['app'] as const,
      registers,
    }),
    providerTokenAge: new Gauge({
      name: METRIC_NAMES.providerTokenAge,
      help: 'Seconds since the provider token (JWT) in use was issued, per token-authenticated app.',
      labelNames: ['app'] as const,
      registers,
    }),
    appPaused: new Gauge({
      name: METRIC_NAMES.appPaused,
      help: '1 while the app is paused because APNs refused its credentials, else 0.',
      labelNames: ['app'] as const,
      registers,
    }),
    retries: new Counter({
      name: METRIC_NAMES.retries,
      help: 'Notifications scheduled for another try by the retry policy, by the reason of the failed try.',
      labelNames: ['app', 'reason'] as const,
      registers,
    }),
    resends: new Counter({
      name: METRIC_NAMES.resends,
      help: 'Sends of an apns-id that may already have reached APNs (possible duplicates), by cause.',
      labelNames: ['app', 'cause'] as const,
      registers,
    }),
    stalledJobs: new Counter({
      name: METRIC_NAMES.stalledJobs,
      help: 'Jobs found stalled (worker died or froze) and run again.',
      labelNames: ['app'] as const,
      registers,
    }),
    deadLetters: new Gauge({
      name: METRIC_NAMES.deadLetters,
      help: "Entries in the app's dead-letter list.",
      labelNames: ['app'] as const,
      registers,
    }),
    sendLimit: new Gauge({
      name: METRIC_NAMES.sendLimit,
      help: "Notifications of the app allowed in flight at once (the throttling limiter's limit).",
      labelNames: ['app'] as const,
      registers,
    }),
    queueJobs: new Gauge({
      name: METRIC_NAMES.queueJobs,
      help: "Jobs in the app's queue by state (waiting, active, delayed, prioritized, failed, dead-lettered); the same on every worker.",
      labelNames: ['app', 'state'] as const,
      registers,
    }),
    broadcastQueueJobs: new Gauge({
      name: METRIC_NAMES.broadcastQueueJobs,
      help: "Jobs in the app's broadcasts queue (broadcast pushes, channel operations) by state, dead-lettered included; the same on every worker.",
      labelNames: ['app', 'state'] as const,
      registers,
    }),
    queueOldestWaitingAge: new Gauge({
      name: METRIC_NAMES.queueOldestWaitingAge,
      help: 'Seconds the oldest waiting job of the app has been due without a worker taking it (0 when none waits).',
      labelNames: ['app'] as const,
      registers,
    }),
    inFlight: new Gauge({
      name: METRIC_NAMES.inFlight,
      help: "The app's notifications this worker is sending now (written or about to be, no answer yet).",
      labelNames: ['app'] as const,
      registers,
    }),
    transportCapacity: new Gauge({
      name: METRIC_NAMES.transportCapacity,
      help: "Requests the app's open APNs connections allow at once (sessions x the server's stream limit).",
      labelNames: ['app', 'transport'] as const,
      registers,
    }),
    connectionsOpened: new Counter({
      name: METRIC_NAMES.connectionsOpened,
      help: 'Connections to APNs opened (first connects and reconnects).',
      labelNames: ['app', 'transport'] as const,
      registers,
    }),
    connectionsClosed: new Counter({
      name: METRIC_NAMES.connectionsClosed,
      help: 'Connections to APNs that ended, by reason (goaway, error, remote-closed, ping-timeout, ...).',
      labelNames: ['app', 'transport', 'reason'] as const,
      registers,
    }),
    providerTokenRefreshes: new Counter({
      name: METRIC_NAMES.providerTokenRefreshes,
      help: 'Provider tokens (JWT) put in use, by result (minted, adopted, failed).',
      labelNames: ['app', 'result'] as const,
      registers,
    }),
    broadcasts: new Counter({
      name: METRIC_NAMES.broadcasts,
      help: 'Broadcasts APNs gave a verdict for, or the fleet ended, by app, outcome and reason.',
      labelNames: ['app', 'outcome', 'reason'] as const,
      registers,
    }),
    channelOperations: new Counter({
      name: METRIC_NAMES.channelOperations,
      help: 'Channel-management requests, by app, operation, outcome and reason.',
      labelNames: ['app', 'operation', 'outcome', 'reason'] as const,
      registers,
    }),
    broadcastChannels: new Gauge({
      name: METRIC_NAMES.broadcastChannels,
      help: 'Live broadcast channels in the app registry (Apple allows 10,000 per app and environment).',
      labelNames: ['app'] as const,
      registers,
    }),
  };
}
