/**
 * The notification contract: what a producer hands us, validated at the door and normalised into the
 * record the worker sends. The limits are Apple's (headers, push types and payload sizes:
 * docs/protocol/http2-provider-api.md).
 */
import { randomUUID } from 'node:crypto';
import {
  MAX_COLLAPSE_ID_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_VOIP_PAYLOAD_BYTES,
  PRIORITIES,
  type Priority,
  PUSH_TYPE_TOPIC_SUFFIX,
  PUSH_TYPES,
  type PushType,
} from '@pushfleet/apns';
import { ValidationError } from './errors.js';
import { checkLiveActivityAps } from './live-activity.js';

/** What a producer sends: one notification for one device token. */
export interface NotificationInput {
  /** Device token, hex (64 digits today; up to 200 accepted, never assume the length). */
  token: string;
  /** `apns-topic`: the bundle id, plus the suffix its push type requires (`.voip`, `.complication`...). */
  topic: string;
  /** The JSON payload: an object with an `aps` dictionary, or that object already serialized. */
  payload: Record<string, unknown> | string;
  /** `apns-push-type`. @defaultValue `'background'` for a content-available-only payload, else `'alert'`. */
  pushType?: PushType;
  /** `apns-priority`. @defaultValue Apple's: 10 (5 for `background`, where 10 is an error). */
  priority?: Priority;
  /** `apns-expiration`: UNIX seconds or a Date; 0 = try once, never store. @defaultValue Apple's storage policy */
  expiration?: number | Date;
  /** `apns-collapse-id`, at most 64 bytes. */
  collapseId?: string;
  /**
   * `apns-id`, a UUID. @defaultValue a random UUID, so every notification is traceable end to end (the
   * producer's names its job: made-notification-id.ts)
   */
  apnsId?: string;
  /** The app to send with. @defaultValue the app that owns `topic` (see ProducerOptions.routes) */
  app?: string;
  /** Send no sooner than this (a Date, or ms since the epoch): a scheduled notification. */
  sendAt?: Date | number;
  /** Send no sooner than this many ms from now (instead of `sendAt`). */
  delay?: number;
}

/** A validated, normalised notification: what the job record stores and the worker sends. */
export interface NotificationRecord {
  /** The notification's id: its `apns-id` (lowercase UUID). */
  readonly id: string;
  /** Lowercase hex. */
  readonly token: string;
  readonly topic: string;
  readonly pushType: PushType;
  readonly priority?: Priority;
  readonly expiration?: number;
  readonly collapseId?: string;
  /** The payload serialized once, as it goes on the wire. */
  readonly payload: string;
  /** Scheduled: not sent before this, ms since the epoch. */
  readonly sendAt?: number;
}

const HEX_TOKEN = /^[0-9a-fA-F]+$/;
const LOWERCASE_HEX_TOKEN = /^[0-9a-f]+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TOPIC = /^[A-Za-z0-9][A-Za-z0-9.\-_]*$/;
const MAX_EXPIRATION = 0xffffffff;
const fmt = (n: number) => n.toLocaleString('en-US');

/** The topic the last notification validated had: a batch repeats one topic, checked once. */
let lastGoodTopic: string | undefined;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validate one notification; throws ValidationError naming the field. Without an `apnsId` it gets
 * `idWhenNone()` (the producer's is a placeholder: it makes the id once the job is known).
 */
export function validateNotification(
  input: unknown,
  idWhenNone: () => string = randomUUID,
): NotificationRecord {
  if (!isPlainObject(input)) throw new ValidationError('notification', 'must be an object');
  const n = input as Partial<NotificationInput> & Record<string, unknown>;

  const token = checkToken(n.token);
  if (typeof n.topic !== 'string' || n.topic !== lastGoodTopic) {
    if (typeof n.topic !== 'string' || n.topic.length === 0) {
      throw new ValidationError('topic', 'is required (the app bundle id, e.g. com.example.app)');
    }
    if (n.topic.length > 255 || !TOPIC.test(n.topic)) {
      throw new ValidationError(
        'topic',
        `"${n.topic.slice(0, 80)}" is not a bundle id (letters, digits, . - _)`,
      );
    }
    lastGoodTopic = n.topic;
  }
  const { payload, aps } = checkPayload(n.payload);
  const pushType = checkPushType(n.pushType, aps);
  const suffix = PUSH_TYPE_TOPIC_SUFFIX[pushType];
  if (suffix !== '' && !n.topic.endsWith(suffix)) {
    throw new ValidationError(
      'topic',
      `push type "${pushType}" needs a topic ending in "${suffix}", got "${n.topic}"`,
    );
  }
  if (pushType === 'liveactivity') checkLiveActivityAps(aps, 'device');
  const limit = pushType === 'voip' ? MAX_VOIP_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: a short payload is under the limit without counting.
  const size = payload.length * 3 <= limit ? 0 : Buffer.byteLength(payload, 'utf8');
  if (size > limit) {
    throw new ValidationError(
      'payload',
      `${fmt(size)} bytes > ${fmt(limit)} byte limit for ${pushType} pushes`,
    );
  }

  const record: {
    -readonly [K in keyof NotificationRecord]: NotificationRecord[K];
  } = {
    id: n.apnsId === undefined ? idWhenNone() : checkApnsId(n.apnsId),
    token,
    topic: n.topic,
    pushType,
    payload,
  };
  const priority = checkPriority(n.priority, pushType);
  if (priority !== undefined) record.priority = priority;
  const expiration = checkExpiration(n.expiration);
  if (expiration !== undefined) record.expiration = expiration;
  if (n.collapseId !== undefined) {
    if (typeof n.collapseId !== 'string' || n.collapseId.length === 0) {
      throw new ValidationError('collapseId', 'must be a non-empty string');
    }
    const bytes = Buffer.byteLength(n.collapseId, 'utf8');
    if (bytes > MAX_COLLAPSE_ID_BYTES) {
      throw new ValidationError('collapseId', `${bytes} bytes > ${MAX_COLLAPSE_ID_BYTES} byte limit`);
    }
    record.collapseId = n.collapseId;
  }
  const sendAt = checkSchedule(n.sendAt, n.delay);
  if (sendAt !== undefined) record.sendAt = sendAt;
  return record;
}

/** Longest a notification may be scheduled ahead: Apple stores nothing that long, and neither do we. */
const MAX_SCHEDULE_MS = 30 * 86_400_000;

function checkSchedule(sendAt: unknown, delay: unknown): number | undefined {
  if (sendAt !== undefined && delay !== undefined)
    throw new ValidationError('delay', 'give sendAt or delay, not both');
  if (delay !== undefined) {
    if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > MAX_SCHEDULE_MS)
      throw new ValidationError(
        'delay',
        `must be whole milliseconds from 0 to ${fmt(MAX_SCHEDULE_MS)} (30 days)`,
      );
    return delay === 0 ? undefined : Date.now() + delay;
  }
  if (sendAt === undefined) return undefined;
  const ms = sendAt instanceof Date ? sendAt.getTime() : sendAt;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw new ValidationError('sendAt', 'must be a Date or ms since the epoch');
  if (ms > Date.now() + MAX_SCHEDULE_MS) throw new ValidationError('sendAt', 'is more than 30 days ahead');
  return Math.round(ms);
}

/** A device token checked and normalised (lowercase hex); throws ValidationError naming `token`. */
export function checkToken(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new ValidationError('token', 'is required (the device token as hex)');
  }
  // Most tokens come lowercase already: those are not copied by toLowerCase.
  const lowercase = LOWERCASE_HEX_TOKEN.test(token);
  if (!lowercase && !HEX_TOKEN.test(token))
    throw new ValidationError('token', 'must be hexadecimal (0-9, a-f)');
  if (token.length % 2 !== 0)
    throw new ValidationError('token', `has an odd number of hex digits (${token.length})`);
  if (token.length < 64 || token.length > 200) {
    throw new ValidationError('token', `${token.length} hex digits; expected 64 to 200`);
  }
  return lowercase ? token : token.toLowerCase();
}

function checkPayload(payload: unknown): { payload: string; aps: Record<string, unknown> } {
  if (payload === undefined || payload === null) throw new ValidationError('payload', 'is required');
  let obj: unknown = payload;
  let text: string;
  if (typeof payload === 'string') {
    try {
      obj = JSON.parse(payload);
    } catch {
      throw new ValidationError('payload', 'is a string but not valid JSON');
    }
    text = payload;
  } else if (isPlainObject(payload)) {
    try {
      text = JSON.stringify(payload);
    } catch (err) {
      throw new ValidationError('payload', `cannot be serialized to JSON (${(err as Error).message})`);
    }
  } else {
    throw new ValidationError('payload', 'must be a JSON object (or its serialized string)');
  }
  if (!isPlainObject(obj)) throw new ValidationError('payload', 'must be a JSON object');
  const aps = obj.aps;
  if (!isPlainObject(aps)) throw new ValidationError('payload.aps', 'is required and must be an object');
  return { payload: text, aps };
}

function checkPushType(pushType: unknown, aps: Record<string, unknown>): PushType {
  if (pushType === undefined) {
    const backgroundOnly =
      aps['content-available'] === 1 &&
      aps.alert === undefined &&
      aps.sound === undefined &&
      aps.badge === undefined;
    return backgroundOnly ? 'background' : 'alert';
  }
  if (typeof pushType !== 'string' || !(PUSH_TYPES as readonly string[]).includes(pushType)) {
    throw new ValidationError(
      'pushType',
      `must be one of ${PUSH_TYPES.join(', ')}; got ${JSON.stringify(pushType)}`,
    );
  }
  return pushType as PushType;
}

function checkPriority(priority: unknown, pushType: PushType): Priority | undefined {
  if (priority === undefined) return pushType === 'background' ? 5 : undefined;
  if (!(PRIORITIES as readonly unknown[]).includes(priority)) {
    throw new ValidationError('priority', `must be 10, 5 or 1; got ${JSON.stringify(priority)}`);
  }
  if (pushType === 'background' && priority === 10) {
    throw new ValidationError('priority', 'must be 5 or 1 for background pushes (Apple rejects 10)');
  }
  return priority as Priority;
}

function checkExpiration(expiration: unknown): number | undefined {
  if (expiration === undefined) return undefined;
  const seconds = expiration instanceof Date ? Math.floor(expiration.getTime() / 1000) : expiration;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_EXPIRATION) {
    throw new ValidationError(
      'expiration',
      'must be UNIX seconds (an integer from 0 to 4294967295) or a Date',
    );
  }
  return seconds;
}

function checkApnsId(apnsId: unknown): string {
  if (typeof apnsId !== 'string' || !UUID.test(apnsId)) {
    throw new ValidationError('apnsId', 'must be a UUID in 8-4-4-4-12 form');
  }
  return apnsId.toLowerCase();
}
