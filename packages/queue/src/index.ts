export { type AppPause, getAppPause, pauseApp, resumeApp } from './app-pause.js';
export { type AppRoutes, routesFor } from './app-routes.js';
export {
  addBroadcastDeadLetter,
  type BroadcastDeadLetter,
  countBroadcastDeadLetters,
  listBroadcastDeadLetters,
  MAX_BROADCAST_DEAD_LETTERS,
  redriveBroadcastDeadLetters,
} from './broadcast-dead-letter.js';
export {
  BROADCAST_JOB_NAME,
  type BroadcastInput,
  type BroadcastJobData,
  type BroadcastJobResult,
  type BroadcastRecord,
  CHANNEL_JOB_NAME,
  type ChannelJobData,
  type ChannelOperation,
  checkBundleId,
  checkChannelId,
  validateBroadcast,
  validateChannelOperation,
} from './broadcast-job.js';
export type {
  BroadcastEnqueued,
  BroadcastProducer,
  BroadcastStatus,
} from './broadcast-producer.js';
export {
  CHANNEL_LIMIT,
  type ChannelEntry,
  countLiveChannels,
  getChannel,
  listChannels,
  markChannelDeleted,
  recordChannel,
} from './channel-registry.js';
export {
  addDeadLetters,
  countDeadLetters,
  DEFAULT_DEAD_LETTER_LIMITS,
  type DeadLetter,
  type DeadLetterLimits,
  getDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
} from './dead-letter.js';
export { type BatchProblem, BatchValidationError, RedisUnavailableError, ValidationError } from './errors.js';
export { assertNoEviction, readEvictionPolicy, SAFE_EVICTION_POLICY } from './eviction-policy.js';
export {
  checkIdempotency,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  fingerprint,
  type IdempotencyCheck,
  IdempotencyConflictError,
  rememberIds,
} from './idempotency.js';
export {
  type AttemptRecord,
  type CommonFields,
  type CompletedPushJob,
  completedPushJob,
  JOB_RECORD_VERSION,
  type JobNotification,
  jobNotificationIds,
  jobNotifications,
  NOT_TRIED,
  type NotificationOutcome,
  type NotificationResult,
  type NotificationState,
  PUSH_JOB_NAME,
  type PushJobData,
  type PushJobResult,
  packJobData,
  READABLE_JOB_RECORD_VERSIONS,
  statesById,
} from './job.js';
export {
  getNotificationStatus,
  getPushJobStatus,
  type NotificationStatus,
  type PushJobState,
  type PushJobStatus,
  resultFromState,
  type WatchOptions,
  type WatchProgress,
  waitForJobs,
} from './job-status.js';
export {
  checkLiveActivityAps,
  LIVE_ACTIVITY_EVENTS,
  type LiveActivityAlert,
  type LiveActivityContent,
  type LiveActivityEvent,
  liveActivityNotification,
  liveActivityPayload,
  liveActivityTopic,
  MAX_ACTIVITY_DATA_BYTES,
} from './live-activity.js';
export {
  DEFAULT_MAX_PRIORITY_10_PER_HOUR,
  LiveActivityBudget,
  type LiveActivityBudgetOptions,
  type LiveActivityBudgetWarning,
} from './live-activity-budget.js';
export { candidateJobId, madeNotificationId, newJobId } from './made-notification-id.js';
export {
  checkToken,
  type NotificationInput,
  type NotificationRecord,
  validateNotification,
} from './notification.js';
export {
  type FinalRecord,
  type FinalRecordLines,
  type FinalRecordsOptions,
  findFinalRecords,
  findNotification,
  indexNotifications,
  type NotificationWaitOptions,
  outcomeCounts,
  readFinalBucket,
  recordFinalOutcomes,
  STATUS_BUCKET_MS,
  STATUS_RETENTION_MS,
  statusBucketOf,
  waitForNotifications,
} from './notification-status.js';
export {
  type BatchCheck,
  checkAppName,
  createProducer,
  DEFAULT_JOB_OPTIONS,
  DEFAULT_JOB_SIZE,
  type Enqueued,
  type FanOutInput,
  PartialEnqueueError,
  type Producer,
  type ProducerOptions,
} from './producer.js';
export {
  type QueueDepth,
  type QueueHead,
  readBroadcastQueueDepth,
  readQueueDepth,
} from './queue-depth.js';
export {
  APP_NAME_PATTERN,
  appBroadcastQueue,
  appPrefix,
  appQueue,
  BROADCAST_QUEUE_NAME,
  QUEUE_NAME,
  queueKeys,
} from './queue-keys.js';
export {
  type ClusterAddress,
  connectRedis,
  failFastRedisOptions,
  isClusterUrl,
  isConnectionError,
  parseClusterNodes,
  parseClusterUrl,
  type RedisClient,
  type RedisTarget,
  redisReady,
} from './redis-connection.js';
export {
  DEFAULT_SHARED_TOKEN_LEASE_MS,
  DEFAULT_SHARED_TOKEN_POLL_MS,
  DEFAULT_SHARED_TOKEN_REFRESH_AFTER_MS,
  SharedProviderToken,
  type SharedProviderTokenOptions,
  startSharedProviderToken,
  type TokenRefreshResult,
} from './shared-provider-token.js';
export {
  FEEDBACK_STREAM_MAX_LEN,
  type FeedbackEntry,
  findSuppressed,
  getInvalidToken,
  type InvalidTokenRecord,
  type InvalidTokenReport,
  type InvalidTokenSource,
  reactivateToken,
  readFeedback,
  recordInvalidToken,
  type SuppressionCandidate,
} from './token-registry.js';
export {
  advanceWebhookPosition,
  getWebhookPosition,
  holdWebhookLease,
  releaseWebhookLease,
} from './webhook-cursor.js';
