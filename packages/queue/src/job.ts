/**
 * The job record. One BullMQ job carries one notification or many (a batch, or one payload fanned out to
 * many tokens); each notification keeps its own id, verdict and attempt history here, so a retry re-sends
 * only the ones that need it.
 *
 * Versioned: `v` changes only with a migration path for jobs already in Redis.
 */
import type { Outcome } from '@pushfleet/apns';
import type { NotificationRecord } from './notification.js';

export const JOB_RECORD_VERSION = 1;

/** BullMQ job name of push jobs. */
export const PUSH_JOB_NAME = 'push';

/** `job.data` of a push job. */
export interface PushJobData {
  readonly v: typeof JOB_RECORD_VERSION;
  /** The app (credentials, connection pool) that sends these notifications. */
  readonly app: string;
  /** When the producer enqueued the job (ms since the epoch). */
  readonly enqueuedAt: number;
  readonly notifications: readonly NotificationRecord[];
  /**
   * Per-notification state of earlier attempts, keyed by notification id. Absent on a job's first attempt;
   * the worker writes it before a retry so the next attempt re-sends only what is not final.
   */
  readonly state?: Readonly<Record<string, NotificationState>>;
  /** Runs of this job that ended by saving their state; fewer than BullMQ's starts means one died mid-send. */
  readonly runs?: number;
}

/**
 * How a notification ended, or stands: APNs' verdict outcomes, plus the fleet's own final outcomes —
 * `suppressed` (not sent: its token is recorded dead), `expired` (its apns-expiration passed before APNs took
 * it) and `dead-lettered` (retried until the policy's horizon without a verdict; see the dead-letter list).
 */
export type NotificationOutcome = Outcome | 'suppressed' | 'expired' | 'dead-lettered';

/** One try at sending one notification. */
export interface AttemptRecord {
  /** ms since the epoch when APNs answered (or the transport failed). */
  readonly at: number;
  readonly outcome: Outcome | 'transport-error';
  readonly status?: number;
  /** Apple's reason, or the transport error code. */
  readonly reason?: string;
}

/** Where one notification stands. `final` once its verdict is not `retry`. */
export interface NotificationState {
  readonly final: boolean;
  readonly outcome?: NotificationOutcome;
  readonly status?: number;
  readonly reason?: string;
  /** On 410: ms since the epoch when APNs last confirmed the token invalid. */
  readonly timestamp?: number;
  /** `apns-unique-id` of a sandbox 200: look the push up in Apple's delivery log with it. */
  readonly uniqueId?: string;
  readonly attempts: readonly AttemptRecord[];
}

/** `job.returnvalue` of a finished push job, and the payload of its failure (see PushJobFailure). */
export interface PushJobResult {
  readonly app: string;
  readonly delivered: number;
  readonly failed: number;
  readonly notifications: ReadonlyArray<NotificationState & { readonly id: string; readonly token: string }>;
}
