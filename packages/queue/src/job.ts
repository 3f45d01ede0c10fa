/**
 * The job record. One BullMQ job carries one notification or many (a batch, or one payload fanned out to
 * many tokens); each notification keeps its own id, verdict and attempt history here, so a retry re-sends
 * only the ones that need it.
 *
 * Versioned: `v` changes only with a migration path for jobs already in Redis.
 */
import type { Outcome } from '@pushfleet/apns';
import { isMadeIdAt, madeIdPrefix, madeNotificationId } from './made-notification-id.js';
import type { NotificationRecord } from './notification.js';

/**
 * 2: the fields every notification of a job has alike go once into `common` (a fan-out's payload is stored
 * once, not per token). 3: an entry whose id is the one its job made for its place (made-notification-id.ts)
 * leaves the id out: 44 of an entry's ~185 bytes, written, stored, hashed by Redis's scripts and parsed again.
 * Workers read 1 to 3; upgrade the workers before the producers.
 */
export const JOB_RECORD_VERSION = 3;

/** The versions a worker of this code reads. */
export const READABLE_JOB_RECORD_VERSIONS: readonly number[] = [1, 2, 3];

/**
 * What a job stores per notification: its record, less the fields the job holds in `common`, and less its id
 * when the job made it (v3; read the ids with `jobNotificationIds`).
 */
export type JobNotification = Pick<NotificationRecord, 'token'> & Partial<NotificationRecord>;

/** Fields a job's notifications can share: all but the id and the token, which are each one's own. */
export type CommonFields = Partial<Omit<NotificationRecord, 'id' | 'token'>>;

/** BullMQ job name of push jobs. */
export const PUSH_JOB_NAME = 'push';

/** `job.data` of a push job. */
export interface PushJobData {
  readonly v: 1 | 2 | typeof JOB_RECORD_VERSION;
  /** The app (credentials, connection pool) that sends these notifications. */
  readonly app: string;
  /** When the producer enqueued the job (ms since the epoch). */
  readonly enqueuedAt: number;
  /** Fields alike in every notification of the job, stored once (v2); each entry below leaves them out. */
  readonly common?: CommonFields;
  /** In enqueue order; read them whole with `jobNotifications`, their ids with `jobNotificationIds`. */
  readonly notifications: readonly JobNotification[];
  /**
   * Per-notification state of earlier attempts, keyed by notification id. Absent on a job's first attempt;
   * the worker writes it before a retry so the next attempt re-sends only what is not final.
   */
  readonly state?: Readonly<Record<string, NotificationState>>;
  /** Runs of this job that ended by saving their state; fewer than BullMQ's starts means one died mid-send. */
  readonly runs?: number;
}

/** Every field of a record but its id and token: a field added to NotificationRecord and not here fails to compile. */
const SHAREABLE_FIELDS: Record<keyof CommonFields, true> = {
  topic: true,
  pushType: true,
  priority: true,
  expiration: true,
  collapseId: true,
  payload: true,
  sendAt: true,
};
const SHAREABLE = Object.keys(SHAREABLE_FIELDS) as (keyof CommonFields)[];

/**
 * The data of the job `jobId` carrying `records` (one app's): a field with one value in all of them is stored
 * once, in `common`, and an id the job made for its place is left out. The job's JSON is parsed whole by
 * every run of it, so what is not repeated is not parsed either.
 */
export function packJobData(
  app: string,
  enqueuedAt: number,
  jobId: string,
  records: readonly NotificationRecord[],
): PushJobData {
  const common: Record<string, unknown> = {};
  const first = records[0];
  if (records.length > 1 && first) {
    for (const field of SHAREABLE) {
      const value = first[field];
      if (value !== undefined && records.every((r) => r[field] === value)) common[field] = value;
    }
  }
  // Field by field, not Object.entries of each record: that loop was 10% of the producer's CPU (--cpu-prof).
  const ownFields = SHAREABLE.filter((field) => !(field in common));
  const prefix = madeIdPrefix(jobId);
  const notifications = records.map((r, position) => {
    const made = prefix !== undefined && isMadeIdAt(prefix, r.id, position);
    const own: Record<string, unknown> = made ? { token: r.token } : { id: r.id, token: r.token };
    for (const field of ownFields) if (r[field] !== undefined) own[field] = r[field];
    return own as JobNotification;
  });
  return ownFields.length === SHAREABLE.length
    ? { v: JOB_RECORD_VERSION, app, enqueuedAt, notifications }
    : { v: JOB_RECORD_VERSION, app, enqueuedAt, common, notifications };
}

/** The ids of a job's notifications, in job order: each entry's own, or the one the job made for its place. */
export function jobNotificationIds(data: PushJobData, jobId: string): string[] {
  return data.notifications.map((n, position) => n.id ?? madeNotificationId(jobId, position)!);
}

/**
 * Every notification of the job `jobId`, whole: each entry with its id and the job's common fields. Built
 * field by field in one order, not by spreads: a spread of a parsed entry cost 3.2 µs per notification, this
 * 0.1 µs, and every record then has one shape.
 */
export function jobNotifications(data: PushJobData, jobId: string): NotificationRecord[] {
  const c = data.common ?? NO_COMMON;
  return data.notifications.map(
    (n, position): NotificationRecord => ({
      id: n.id ?? madeNotificationId(jobId, position)!,
      token: n.token,
      topic: (n.topic ?? c.topic)!,
      pushType: (n.pushType ?? c.pushType)!,
      priority: n.priority ?? c.priority,
      expiration: n.expiration ?? c.expiration,
      collapseId: n.collapseId ?? c.collapseId,
      payload: (n.payload ?? c.payload)!,
      sendAt: n.sendAt ?? c.sendAt,
    }),
  );
}
const NO_COMMON: CommonFields = {};

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

/** One notification of a job and where it stands. */
export type NotificationResult = NotificationState & { readonly id: string; readonly token: string };

/** A finished job as a status read answers it (getPushJobStatus): counts, and every notification in job order. */
export interface PushJobResult {
  readonly app: string;
  readonly delivered: number;
  readonly failed: number;
  readonly notifications: readonly NotificationResult[];
}

/**
 * `job.returnvalue` of a completed push job, as stored in Redis: the counts, and the notifications that were
 * not delivered at their first try, in job order. Each of the others has its final record, from which a
 * status read rebuilds it (getPushJobStatus). Storing every notification here was 15% of the worker's CPU
 * (bench:e2e, medians of 3) and ~180 bytes of Redis per notification for the completed jobs' retention.
 * A job completed by an older worker stores `notifications` instead, read as it is.
 */
export interface CompletedPushJob {
  readonly app: string;
  readonly delivered: number;
  readonly failed: number;
  readonly exceptions: readonly NotificationResult[];
}

/**
 * The stored return value of a run that completed its job: the counts, and every notification whose story is
 * more than "delivered at the first try" (which its final record holds whole). `states` are the notifications'
 * in job order (the worker keeps them by position, not by id: a lookup by id was 2% of its CPU).
 */
export function completedPushJob(
  app: string,
  notifications: readonly Pick<NotificationRecord, 'id' | 'token'>[],
  states: readonly (NotificationState | undefined)[],
): CompletedPushJob {
  let delivered = 0;
  let failed = 0;
  const exceptions: NotificationResult[] = [];
  notifications.forEach((n, i) => {
    const s = states[i] ?? NOT_TRIED;
    if (s.outcome === 'delivered') delivered++;
    else if (s.final) failed++;
    if (!(s.final && s.outcome === 'delivered' && s.attempts.length === 1))
      exceptions.push({ id: n.id, token: n.token, ...s });
  });
  return { app, delivered, failed, exceptions };
}

/** The state of a notification no run has tried yet. */
export const NOT_TRIED: NotificationState = { final: false, attempts: [] };

/** `states` in job order as the job record keeps them: by notification id, untried ones left out. */
export function statesById(
  notifications: readonly Pick<NotificationRecord, 'id'>[],
  states: readonly (NotificationState | undefined)[],
): Record<string, NotificationState> {
  const byId: Record<string, NotificationState> = {};
  notifications.forEach((n, i) => {
    const s = states[i];
    if (s) byId[n.id] = s;
  });
  return byId;
}
