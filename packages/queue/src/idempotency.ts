/**
 * Idempotent enqueue for caller-chosen ids: a notification enqueued again with the same `apnsId` within the
 * window is a no-op that answers the existing id; the same id with a different token, topic, payload or
 * options is refused (IdempotencyConflictError, 409 over HTTP) and changes nothing.
 *
 *   {pushfleet:<app>}:id:<apns-id>   string  fingerprint of the notification, expires after the window
 *
 * Checked before the jobs are added and written after, so a crash in between leaves no fingerprint without
 * its job (the caller's retry enqueues it; BullMQ's job id, the apns-id, stops a second copy while the first
 * job exists). Random ids are never checked: nobody can repeat them.
 */
import { createHash } from 'node:crypto';
import type { NotificationRecord } from './notification.js';
import { queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

/** How long a caller-chosen id is remembered. @defaultValue 24 h */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

/** The same apnsId was enqueued before for a different notification. Nothing was enqueued. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(
    /** Dotted path of the notification, e.g. `apnsId` or `notifications[3].apnsId`. */
    readonly field: string,
    readonly id: string,
  ) {
    super(
      `${field}: ${id} was already enqueued for a different notification (token, topic, payload or options differ); choose a new apnsId`,
    );
  }
}

export function fingerprint(n: NotificationRecord): string {
  const { id: _id, ...content } = n;
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
}

export interface IdempotencyCheck {
  /** Indexes (into the checked list) already enqueued with the same content: skip them. */
  readonly repeated: ReadonlySet<number>;
  /** The first index whose id was enqueued with other content, if any. */
  readonly conflict: number | undefined;
}

/** One MGET per app of the batch (an app's keys share a Cluster slot; two apps' keys may not). */
export async function checkIdempotency(
  redis: RedisClient,
  items: readonly { readonly app: string; readonly record: NotificationRecord }[],
): Promise<IdempotencyCheck> {
  const seen: (string | null)[] = new Array(items.length).fill(null);
  await Promise.all(
    [...indexesByApp(items)].map(async ([app, indexes]) => {
      const prints = await redis.mget(...indexes.map((i) => queueKeys.idempotency(app, items[i]!.record.id)));
      indexes.forEach((i, k) => {
        seen[i] = prints[k] ?? null;
      });
    }),
  );
  const repeated = new Set<number>();
  let conflict: number | undefined;
  seen.forEach((print, i) => {
    if (print === null) return;
    if (print === fingerprint(items[i]!.record)) repeated.add(i);
    else conflict ??= i;
  });
  return { repeated, conflict };
}

/** Remember the ids once their jobs are in the queue (one MULTI per app: a MULTI stays in one slot). */
export async function rememberIds(
  redis: RedisClient,
  items: readonly { readonly app: string; readonly record: NotificationRecord }[],
  windowMs: number,
): Promise<void> {
  await Promise.all(
    [...indexesByApp(items)].map(([app, indexes]) => {
      const multi = redis.multi();
      for (const i of indexes) {
        const record = items[i]!.record;
        multi.set(queueKeys.idempotency(app, record.id), fingerprint(record), 'PX', windowMs, 'NX');
      }
      return multi.exec();
    }),
  );
}

/** The items' indexes, grouped by app in input order. */
function indexesByApp(items: readonly { readonly app: string }[]): Map<string, number[]> {
  const byApp = new Map<string, number[]>();
  items.forEach(({ app }, i) => {
    const list = byApp.get(app);
    if (list) list.push(i);
    else byApp.set(app, [i]);
  });
  return byApp;
}
