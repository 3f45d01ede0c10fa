import type { Action } from './reasons.js';

/** `apns-push-type` values (Apple's "Sending notification requests to APNs"). */
export const PUSH_TYPES = [
  'alert',
  'background',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'location',
  'liveactivity',
  'pushtotalk',
  'controls',
  'widgets',
] as const;
export type PushType = (typeof PUSH_TYPES)[number];

/**
 * The topic suffix each push type requires after the bundle id (Apple's push-type table). `mdm` uses the
 * certificate UID.
 */
export const PUSH_TYPE_TOPIC_SUFFIX: Readonly<Record<PushType, string>> = {
  alert: '',
  background: '',
  voip: '.voip',
  complication: '.complication',
  fileprovider: '.pushkit.fileprovider',
  mdm: '',
  location: '.location-query',
  liveactivity: '.push-type.liveactivity',
  pushtotalk: '.voip-ptt',
  controls: '.push-type.controls',
  widgets: '.push-type.widgets',
};

export const PRIORITIES = [10, 5, 1] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Payload limits in bytes of UTF-8 JSON [Apple]: HTTP/2, HTTP/2 VoIP, binary interface (iOS 8+). */
export const MAX_PAYLOAD_BYTES = 4096;
export const MAX_VOIP_PAYLOAD_BYTES = 5120;
export const MAX_LEGACY_PAYLOAD_BYTES = 2048;
export const MAX_COLLAPSE_ID_BYTES = 64;

/** Production and sandbox hosts of the HTTP/2 API; port 2197 is for firewalls that block 443. */
export const APNS_HOSTS = {
  production: 'api.push.apple.com',
  sandbox: 'api.sandbox.push.apple.com',
} as const;
export const APNS_PORT = 443;
export const APNS_ALTERNATE_PORT = 2197;

/** One notification as it goes on the wire: everything the HTTP/2 request needs, already validated. */
export interface ApnsRequest {
  /** Device token as lowercase hex (never assume 64 digits). */
  readonly token: string;
  /** `apns-topic`. */
  readonly topic: string;
  /** `apns-push-type`. */
  readonly pushType: PushType;
  /** `apns-priority`; omitted means Apple's default (10). */
  readonly priority?: Priority | undefined;
  /** `apns-expiration`, UNIX seconds; 0 = try once. Omitted: Apple's storage policy. */
  readonly expiration?: number | undefined;
  /** `apns-collapse-id`. */
  readonly collapseId?: string | undefined;
  /** `apns-id`, canonical lowercase UUID. Omitted: APNs generates one. */
  readonly apnsId?: string | undefined;
  /** The JSON body, serialized once (a fan-out shares one Buffer). */
  readonly payload: string | Buffer;
}

/**
 * What the provider does with a notification after APNs answered:
 * - `delivered`: accepted (200).
 * - `rejected`: permanent failure of this request (action `fix`).
 * - `token-invalid`: the device token is dead for this topic (action `token`).
 * - `creds-broken`: credentials/config fault (action `creds`): pause the app.
 * - `retry`: transient (actions `retry`, `reconnect`, `jwt`).
 */
export type Outcome = 'delivered' | 'rejected' | 'token-invalid' | 'creds-broken' | 'retry';
export const OUTCOMES: readonly Outcome[] = [
  'delivered',
  'rejected',
  'token-invalid',
  'creds-broken',
  'retry',
];

/** APNs answered: a value, never thrown (apns2's Response, pushy's isAccepted()). */
export interface Verdict {
  readonly outcome: Outcome;
  /** `undefined` when delivered. */
  readonly action: Action | undefined;
  /** HTTP status (HTTP/2) or 200/the status byte's HTTP-like class for legacy (see `legacyStatus`). */
  readonly status: number;
  /** Apple's reason string, as sent; absent on 200. */
  readonly reason?: string | undefined;
  /** The `apns-id` APNs returned (or ours, echoed). */
  readonly apnsId: string;
  /** `apns-unique-id` of a 200 in the sandbox: the key of the push in Apple's delivery log. */
  readonly uniqueId?: string | undefined;
  /** On 410: milliseconds since the epoch when APNs last confirmed the token invalid. */
  readonly timestamp?: number | undefined;
  /** Legacy binary only: the error-response status byte. */
  readonly legacyStatus?: number | undefined;
  /** Server's retry hint in milliseconds, where one was given. */
  readonly retryAfterMs?: number | undefined;
}

export function outcomeFor(action: Action | undefined): Outcome {
  switch (action) {
    case undefined:
      return 'delivered';
    case 'fix':
      return 'rejected';
    case 'token':
      return 'token-invalid';
    case 'creds':
      return 'creds-broken';
    default:
      return 'retry';
  }
}
