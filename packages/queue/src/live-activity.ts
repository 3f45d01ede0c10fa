/**
 * Live Activity payloads (docs/protocol/broadcast.md E.5): a typed builder for start (push-to-start), update and
 * end, and the checks every `liveactivity` payload passes at the door, whether built here or written by hand.
 *
 *   liveActivityPayload({ event: 'update', contentState: { score: '1-0' }, staleDate })
 *     → {"aps":{"timestamp":…,"event":"update","content-state":{"score":"1-0"},"stale-date":…}}
 *   liveActivityNotification({ token, bundleId, … })  → a NotificationInput: topic `<bundle>.push-type.liveactivity`,
 *                                                       push type `liveactivity`
 *
 * Refused, naming the field: a missing `timestamp`, `event` or `content-state`; `start` without `alert`,
 * `attributes-type` or `attributes`; `dismissal-date` off `end`; `input-push-*` off `start`, or both at once;
 * a broadcast `start` (a channel cannot start an activity) or `input-push-*` on a broadcast; a non-number
 * `relevance-score`; `attributes` plus `content-state` over the device's 4 KB.
 */
import { PUSH_TYPE_TOPIC_SUFFIX } from '@pushfleet/apns';
import { ValidationError } from './errors.js';
import type { NotificationInput } from './notification.js';

export const LIVE_ACTIVITY_EVENTS = ['start', 'update', 'end'] as const;
export type LiveActivityEvent = (typeof LIVE_ACTIVITY_EVENTS)[number];

/** Activity data the device keeps: `attributes` plus `content-state` [Apple DL]. */
export const MAX_ACTIVITY_DATA_BYTES = 4096;

/** A title or body: a string, or a localized key with arguments. */
export type LiveActivityText =
  | string
  | { readonly 'loc-key': string; readonly 'loc-args'?: readonly string[] };

export interface LiveActivityAlert {
  readonly title?: LiveActivityText;
  readonly body?: LiveActivityText;
  readonly sound?: string;
}

/** A date as UNIX seconds or a Date. */
export type Seconds = number | Date;

export interface LiveActivityContent {
  readonly event: LiveActivityEvent;
  /** When the update was made; the device shows the newest. @defaultValue now */
  readonly timestamp?: Seconds;
  /** Decodes into the app's `ContentState` (default JSON decoding). */
  readonly contentState: Readonly<Record<string, unknown>>;
  readonly staleDate?: Seconds;
  /** `end` only: when the ended activity leaves the Lock Screen (at most 4 h later). */
  readonly dismissalDate?: Seconds;
  /** Any number: orders the app's activities. */
  readonly relevanceScore?: number;
  /** Required on `start`. */
  readonly alert?: LiveActivityAlert;
  /** `start` only (required): the app's `ActivityAttributes` type name. */
  readonly attributesType?: string;
  /** `start` only (required): the static attributes. */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** `start` only, iOS 18+: ask for a new update token. */
  readonly inputPushToken?: true;
  /** `start` only, iOS 18+: subscribe the started activity to this channel. */
  readonly inputPushChannel?: string;
}

/**
 * The `aps` keys of a Live Activity, built from the typed content and checked for `route` (a channel takes no
 * start); throws ValidationError naming the field.
 */
export function liveActivityPayload(
  content: LiveActivityContent,
  route: 'device' | 'broadcast' = 'device',
): { aps: Record<string, unknown> } {
  if (typeof content !== 'object' || content === null)
    throw new ValidationError('liveActivity', 'must be an object');
  const aps: Record<string, unknown> = {
    timestamp: seconds('timestamp', content.timestamp ?? new Date()),
    event: content.event,
    'content-state': content.contentState,
  };
  if (content.staleDate !== undefined) aps['stale-date'] = seconds('staleDate', content.staleDate);
  if (content.dismissalDate !== undefined)
    aps['dismissal-date'] = seconds('dismissalDate', content.dismissalDate);
  if (content.relevanceScore !== undefined) aps['relevance-score'] = content.relevanceScore;
  if (content.alert !== undefined) aps.alert = content.alert;
  if (content.attributesType !== undefined) aps['attributes-type'] = content.attributesType;
  if (content.attributes !== undefined) aps.attributes = content.attributes;
  if (content.inputPushToken !== undefined)
    aps['input-push-token'] = content.inputPushToken === true ? 1 : content.inputPushToken;
  if (content.inputPushChannel !== undefined) aps['input-push-channel'] = content.inputPushChannel;
  checkLiveActivityAps(aps, route);
  return { aps };
}

/** The topic of a Live Activity push: the bundle id plus `.push-type.liveactivity`. */
export function liveActivityTopic(bundleId: string): string {
  const suffix = PUSH_TYPE_TOPIC_SUFFIX.liveactivity;
  return bundleId.endsWith(suffix) ? bundleId : bundleId + suffix;
}

/** A `/3/device` Live Activity push (activity token, or push-to-start token for `start`). */
export function liveActivityNotification(
  input: Omit<NotificationInput, 'topic' | 'payload' | 'pushType'> & {
    readonly bundleId: string;
    readonly liveActivity: LiveActivityContent;
  },
): NotificationInput {
  const { bundleId, liveActivity, ...rest } = input;
  return {
    ...rest,
    topic: liveActivityTopic(bundleId),
    pushType: 'liveactivity',
    payload: liveActivityPayload(liveActivity),
  };
}

/**
 * The checks of a Live Activity's `aps`, for `/3/device` (`device`) or a channel (`broadcast`); throws
 * ValidationError naming the field (`aps.alert`, …).
 */
export function checkLiveActivityAps(aps: Record<string, unknown>, route: 'device' | 'broadcast'): void {
  const fail = (key: string, problem: string): never => {
    throw new ValidationError(`aps.${key}`, problem);
  };
  const event = aps.event;
  if (event === undefined) fail('event', 'is required: start, update or end');
  if (!(LIVE_ACTIVITY_EVENTS as readonly unknown[]).includes(event))
    fail('event', `must be start, update or end; got ${JSON.stringify(event)}`);
  if (!isUnixSeconds(aps.timestamp)) fail('timestamp', 'is required: UNIX seconds of the update');
  if (!isObject(aps['content-state']))
    fail('content-state', "is required: an object matching the app's ContentState");
  for (const key of ['stale-date', 'dismissal-date'])
    if (aps[key] !== undefined && !isUnixSeconds(aps[key])) fail(key, 'must be UNIX seconds');
  if (aps['relevance-score'] !== undefined && typeof aps['relevance-score'] !== 'number')
    fail('relevance-score', 'must be a number');
  if (event === 'start') {
    if (route === 'broadcast')
      fail('event', 'a broadcast cannot start a Live Activity: push-to-start goes to /3/device');
    if (!isObject(aps.alert)) fail('alert', 'is required on start (title and body)');
    if (typeof aps['attributes-type'] !== 'string' || aps['attributes-type'].length === 0)
      fail('attributes-type', "is required on start: the name of the app's ActivityAttributes type");
    if (!isObject(aps.attributes)) fail('attributes', 'is required on start: the static attributes');
  }
  if (aps['dismissal-date'] !== undefined && event !== 'end') fail('dismissal-date', 'is only for end');
  const token = aps['input-push-token'];
  const channel = aps['input-push-channel'];
  for (const [key, value] of [
    ['input-push-token', token],
    ['input-push-channel', channel],
  ] as const) {
    if (value === undefined) continue;
    if (route === 'broadcast') fail(key, 'is only for push-to-start on /3/device');
    if (event !== 'start') fail(key, 'is only for start');
  }
  if (token !== undefined && channel !== undefined)
    fail(
      'input-push-token',
      'give input-push-token or input-push-channel, not both (the device refuses both)',
    );
  if (token !== undefined && token !== 1) fail('input-push-token', 'must be 1');
  if (channel !== undefined && (typeof channel !== 'string' || channel.length === 0))
    fail('input-push-channel', 'must be a channel id (base64)');
  const data = JSON.stringify(aps.attributes ?? {}).length + JSON.stringify(aps['content-state']).length;
  if (data > MAX_ACTIVITY_DATA_BYTES)
    fail(
      'content-state',
      `attributes plus content-state are ${data} bytes, over the device's ${MAX_ACTIVITY_DATA_BYTES}`,
    );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUnixSeconds(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function seconds(field: string, value: Seconds): number {
  const s = value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
  if (!isUnixSeconds(s)) throw new ValidationError(field, 'must be UNIX seconds or a Date');
  return s;
}
