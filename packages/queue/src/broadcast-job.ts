/**
 * The broadcast and channel-management job contract (docs/protocol/broadcast.md): what a producer hands us,
 * validated at the door, and the job records the worker runs. They live in each app's own BullMQ queue
 * `broadcasts` (next to `notifications`, under the app's hash tag), so an app's broadcasts are isolated from
 * other apps' like its pushes, and readers of push jobs never meet them.
 */
import { randomUUID } from 'node:crypto';
import { type BroadcastOutcome, MAX_BROADCAST_PAYLOAD_BYTES, type StoragePolicy } from '@pushfleet/apns';
import { ValidationError } from './errors.js';
import { checkLiveActivityAps, type LiveActivityContent, liveActivityPayload } from './live-activity.js';

/** BullMQ job names in the `broadcasts` queue. */
export const BROADCAST_JOB_NAME = 'broadcast';
export const CHANNEL_JOB_NAME = 'channel';

/** One broadcast to one channel. */
export interface BroadcastInput {
  /** The bare bundle id (no `.push-type.*` suffix): the app's topic the channel belongs to. */
  readonly bundleId: string;
  /** The channel id APNs returned on create. */
  readonly channelId: string;
  /** A Live Activity update or end, built and checked (give this or `payload`). */
  readonly liveActivity?: LiveActivityContent | undefined;
  /** The payload as an object with `aps`, or already serialized (give this or `liveActivity`). */
  readonly payload?: Record<string, unknown> | string | undefined;
  /** @defaultValue 10 (counts against the device's budget; 5 does not) */
  readonly priority?: 10 | 5 | 1 | undefined;
  /** UNIX seconds or a Date; must be 0 for a No-Message-Stored channel. @defaultValue 0 */
  readonly expiration?: number | Date | undefined;
  /** The broadcast's id, sent as `apns-request-id`. @defaultValue a random UUID */
  readonly id?: string | undefined;
  /** @defaultValue the app owning `bundleId` */
  readonly app?: string | undefined;
}

export interface BroadcastRecord {
  /** Its id: the `apns-request-id` (lowercase UUID). */
  readonly id: string;
  readonly bundleId: string;
  readonly channelId: string;
  readonly payload: string;
  readonly priority: 10 | 5 | 1;
  readonly expiration: number;
}

export type ChannelOperation =
  | { readonly op: 'create'; readonly bundleId: string; readonly storagePolicy: StoragePolicy }
  | { readonly op: 'delete'; readonly bundleId: string; readonly channelId: string }
  /** List the app's channels at APNs and record any the registry does not know (leaked ones). */
  | { readonly op: 'sync'; readonly bundleId: string };

/** What earlier runs of a broadcast or channel job left for the next (written before a retry). */
export interface RetryState {
  /** Tries that failed so far. */
  readonly tries?: number;
  /** Apple's reason (or the transport error code) of the last failed try. */
  readonly lastReason?: string;
}

export interface BroadcastJobData extends RetryState {
  readonly v: 1;
  readonly app: string;
  readonly enqueuedAt: number;
  readonly broadcast: BroadcastRecord;
}

export interface ChannelJobData extends RetryState {
  readonly v: 1;
  readonly app: string;
  readonly enqueuedAt: number;
  /** The operation's id (`apns-request-id` of the request that matters). */
  readonly id: string;
  readonly operation: ChannelOperation;
}

/** `job.returnvalue` of a broadcast or channel job, and the payload of its failure. */
export interface BroadcastJobResult {
  readonly app: string;
  readonly id: string;
  readonly outcome: BroadcastOutcome | 'expired' | 'dead-lettered';
  readonly status?: number | undefined;
  readonly reason?: string | undefined;
  readonly requestId?: string | undefined;
  /** `apns-unique-id` of a broadcast (quote it to Apple). */
  readonly uniqueId?: string | undefined;
  /** create: the channel made; sync: how many unknown channels were adopted. */
  readonly channelId?: string | undefined;
  readonly adopted?: number | undefined;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BUNDLE = /^[A-Za-z0-9][A-Za-z0-9.\-_]*$/;
const CHANNEL = /^[A-Za-z0-9+/]+={0,2}$/;

export function checkBundleId(bundleId: unknown): string {
  if (typeof bundleId !== 'string' || bundleId.length === 0)
    throw new ValidationError('bundleId', 'is required (the bare bundle id, e.g. com.example.app)');
  if (bundleId.includes('.push-type.'))
    throw new ValidationError(
      'bundleId',
      `must be the bare bundle id, without ${bundleId.slice(bundleId.indexOf('.push-type.'))}`,
    );
  if (bundleId.length > 255 || !BUNDLE.test(bundleId))
    throw new ValidationError(
      'bundleId',
      `"${bundleId.slice(0, 80)}" is not a bundle id (letters, digits, . - _)`,
    );
  return bundleId;
}

export function checkChannelId(channelId: unknown): string {
  if (typeof channelId !== 'string' || channelId.length === 0)
    throw new ValidationError('channelId', 'is required (the id APNs returned when the channel was created)');
  if (channelId.length > 256 || channelId.length % 4 !== 0 || !CHANNEL.test(channelId))
    throw new ValidationError('channelId', 'must be the base64 id APNs returned (at most 256 characters)');
  return channelId;
}

/** Validate one broadcast; throws ValidationError naming the field. The 5,120-byte limit is checked here. */
export function validateBroadcast(input: unknown): BroadcastRecord {
  if (typeof input !== 'object' || input === null)
    throw new ValidationError('broadcast', 'must be an object');
  const b = input as BroadcastInput;
  const bundleId = checkBundleId(b.bundleId);
  const channelId = checkChannelId(b.channelId);
  if ((b.payload === undefined) === (b.liveActivity === undefined))
    throw new ValidationError('payload', 'give payload or liveActivity (one of them)');
  let text: string;
  let parsed: unknown;
  if (b.liveActivity !== undefined) {
    const built = liveActivityPayload(b.liveActivity, 'broadcast');
    parsed = built;
    text = JSON.stringify(built);
  } else if (typeof b.payload === 'string') {
    text = b.payload;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ValidationError('payload', 'is a string but not valid JSON');
    }
  } else {
    parsed = b.payload;
    text = JSON.stringify(b.payload);
  }
  const aps = (parsed as { aps?: unknown } | null)?.aps;
  if (typeof aps !== 'object' || aps === null || Array.isArray(aps))
    throw new ValidationError('payload.aps', 'is required and must be an object');
  checkLiveActivityAps(aps as Record<string, unknown>, 'broadcast');
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_BROADCAST_PAYLOAD_BYTES)
    throw new ValidationError(
      'payload',
      `${size.toLocaleString('en-US')} bytes > 5,120 byte limit for broadcasts`,
    );
  const priority = b.priority ?? 10;
  if (priority !== 10 && priority !== 5 && priority !== 1)
    throw new ValidationError('priority', `must be 10, 5 or 1; got ${JSON.stringify(priority)}`);
  const exp = b.expiration instanceof Date ? Math.floor(b.expiration.getTime() / 1000) : (b.expiration ?? 0);
  if (!Number.isInteger(exp) || exp < 0 || exp > 0xffffffff)
    throw new ValidationError(
      'expiration',
      'must be UNIX seconds (0 for a No-Message-Stored channel) or a Date',
    );
  if (b.id !== undefined && (typeof b.id !== 'string' || !UUID.test(b.id)))
    throw new ValidationError('id', 'must be a UUID in 8-4-4-4-12 form');
  return {
    id: b.id?.toLowerCase() ?? randomUUID(),
    bundleId,
    channelId,
    payload: text,
    priority,
    expiration: exp,
  };
}

/** Validate a channel operation; throws ValidationError naming the field. */
export function validateChannelOperation(input: unknown): ChannelOperation {
  if (typeof input !== 'object' || input === null)
    throw new ValidationError('operation', 'must be an object');
  const o = input as { op?: unknown; bundleId?: unknown; storagePolicy?: unknown; channelId?: unknown };
  const bundleId = checkBundleId(o.bundleId);
  switch (o.op) {
    case 'create':
      if (o.storagePolicy !== 0 && o.storagePolicy !== 1)
        throw new ValidationError(
          'storagePolicy',
          'must be 0 (No Message Stored: frequent updates) or 1 (Most Recent Message Stored, up to 8 h)',
        );
      return { op: 'create', bundleId, storagePolicy: o.storagePolicy };
    case 'delete':
      return { op: 'delete', bundleId, channelId: checkChannelId(o.channelId) };
    case 'sync':
      return { op: 'sync', bundleId };
    default:
      throw new ValidationError('op', `must be create, delete or sync; got ${JSON.stringify(o.op)}`);
  }
}
