/**
 * The switches of the simulator's broadcast and channel-management routes, where Apple's documentation leaves a
 * fact unconfirmed (docs/protocol/broadcast.md, "Not confirmed"); all [Ours], defaults in `DEFAULT_BROADCAST_OPTIONS`.
 */
import { MAX_CHANNELS_PER_APP } from '@pushfleet/apns';

export interface BroadcastOptions {
  /** Live channels per bundle id before create answers 400 CannotCreateChannelConfig. @defaultValue 10_000 */
  readonly channelLimit?: number | undefined;
  /** Bundle ids whose Broadcast Capability is off (400 FeatureNotEnabled). @defaultValue `[]` */
  readonly capabilityOff?: readonly string[] | undefined;
  /** Certificate connections on the management and broadcast routes: accepted, or refused (403 MissingProviderToken). @defaultValue `'accept'` */
  readonly certificateAuth?: 'accept' | 'refuse' | undefined;
  /** Compare push types (`LiveActivity`, `liveactivity`) case-sensitively. @defaultValue false */
  readonly caseSensitivePushType?: boolean | undefined;
  /** Refuse `apns-topic` on a broadcast with 400 TopicDisallowed (otherwise ignored and linted). @defaultValue false */
  readonly strictTopic?: boolean | undefined;
  /** Answer 403 TopicMismatch to bundle ids with capital letters (a 2024 forum report). @defaultValue false */
  readonly upperCaseTopicMismatch?: boolean | undefined;
  /** Status of a successful create: Apple documents 201, one PR description shows 200. @defaultValue 201 */
  readonly createStatus?: 200 | 201 | undefined;
  /** A broadcast without `apns-expiration` gets 400 BadExpirationDate (seen on the wire in 2026). @defaultValue true */
  readonly requireExpiration?: boolean | undefined;
  /** The 503 reason's spelling on these routes. @defaultValue `'ServiceUnavailable'` */
  readonly serviceUnavailableReason?: 'ServiceUnavailable' | 'Service Unavailable' | undefined;
  /** A malformed `apns-request-id` gets 400 BadMessageId (Apple names no reason; otherwise echoed). @defaultValue false */
  readonly strictRequestId?: boolean | undefined;
  /** A create is answered this long after the channel was made: a client that times out first must reconcile. @defaultValue 0 */
  readonly createAnswerDelayMs?: number | undefined;
}

export const DEFAULT_BROADCAST_OPTIONS = {
  channelLimit: MAX_CHANNELS_PER_APP,
  capabilityOff: [],
  certificateAuth: 'accept',
  caseSensitivePushType: false,
  strictTopic: false,
  upperCaseTopicMismatch: false,
  createStatus: 201,
  requireExpiration: true,
  serviceUnavailableReason: 'ServiceUnavailable',
  strictRequestId: false,
  createAnswerDelayMs: 0,
} as const satisfies BroadcastOptions;

export type BroadcastSettings = {
  readonly [K in keyof BroadcastOptions]-?: Exclude<BroadcastOptions[K], undefined>;
};

export function resolveBroadcastOptions(options: BroadcastOptions | undefined): BroadcastSettings {
  const o = options ?? {};
  const d = DEFAULT_BROADCAST_OPTIONS;
  return {
    channelLimit: o.channelLimit ?? d.channelLimit,
    capabilityOff: o.capabilityOff ?? d.capabilityOff,
    certificateAuth: o.certificateAuth ?? d.certificateAuth,
    caseSensitivePushType: o.caseSensitivePushType ?? d.caseSensitivePushType,
    strictTopic: o.strictTopic ?? d.strictTopic,
    upperCaseTopicMismatch: o.upperCaseTopicMismatch ?? d.upperCaseTopicMismatch,
    createStatus: o.createStatus ?? d.createStatus,
    requireExpiration: o.requireExpiration ?? d.requireExpiration,
    serviceUnavailableReason: o.serviceUnavailableReason ?? d.serviceUnavailableReason,
    strictRequestId: o.strictRequestId ?? d.strictRequestId,
    createAnswerDelayMs: o.createAnswerDelayMs ?? d.createAnswerDelayMs,
  };
}
