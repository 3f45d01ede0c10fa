/**
 * Hosts, limits and the request/answer shapes of Apple's broadcast push and channel-management APIs
 * (docs/protocol/broadcast.md).
 */
import type { BroadcastAction } from './broadcast-reasons.js';

/** Channel-management hosts; each environment on its own port [Apple CM]. Broadcasts go to `APNS_HOSTS` :443. */
export const CHANNEL_MANAGEMENT_HOSTS = {
  production: 'api-manage-broadcast.push.apple.com',
  sandbox: 'api-manage-broadcast.sandbox.push.apple.com',
} as const;
export const CHANNEL_MANAGEMENT_PORTS = { production: 2196, sandbox: 2195 } as const;

/** The channel-management origin of an environment, e.g. `https://api-manage-broadcast.sandbox.push.apple.com:2195`. */
export function channelManagementUrl(environment: keyof typeof CHANNEL_MANAGEMENT_HOSTS): string {
  return `https://${CHANNEL_MANAGEMENT_HOSTS[environment]}:${CHANNEL_MANAGEMENT_PORTS[environment]}`;
}

/** Channels per app and environment [Apple CM]. */
export const MAX_CHANNELS_PER_APP = 10_000;
/** Broadcast payload limit in bytes, uncompressed [Apple BC]. */
export const MAX_BROADCAST_PAYLOAD_BYTES = 5120;
/** The only push type of a channel (create body), and the `apns-push-type` of a broadcast. */
export const CHANNEL_PUSH_TYPE = 'LiveActivity';
export const BROADCAST_PUSH_TYPE = 'liveactivity';

/** `message-storage-policy`: 0 No Message Stored (higher budget), 1 Most Recent Message Stored (up to 8 h). */
export const STORAGE_POLICIES = [0, 1] as const;
export type StoragePolicy = (typeof STORAGE_POLICIES)[number];

/** What `read` returns for a channel. */
export interface ChannelConfig {
  readonly storagePolicy: StoragePolicy;
  readonly pushType: string;
}

/**
 * One broadcast as it goes on the wire. `expiration` and `priority` are always sent: APNs answers
 * `BadExpirationDate` to a broadcast without `apns-expiration`.
 */
export interface BroadcastRequest {
  /** Bare bundle id (no `.push-type.*` suffix): the path's `<bundle>`. */
  readonly bundleId: string;
  /** `apns-channel-id`, the base64 id APNs returned on create. */
  readonly channelId: string;
  /** `apns-expiration`, UNIX seconds; must be 0 on a No-Message-Stored channel. @defaultValue 0 */
  readonly expiration?: number | undefined;
  /** `apns-priority`. @defaultValue 10 */
  readonly priority?: 10 | 5 | 1 | undefined;
  /** `apns-request-id`, canonical lowercase UUID. @defaultValue a random one */
  readonly requestId?: string | undefined;
  /** JSON body, at most {@link MAX_BROADCAST_PAYLOAD_BYTES}. */
  readonly payload: string | Buffer;
}

/**
 * APNs answered a broadcast or channel request: a value, never thrown. `outcome` is `ok` on 2xx, else the
 * action's class; the ids are what APNs returned (`apns-unique-id` identifies a broadcast to Apple's support).
 */
export type BroadcastOutcome =
  | 'ok'
  | 'rejected'
  | 'creds-broken'
  | 'retry'
  | 'gone'
  | 'capacity'
  | 'capability';

export interface BroadcastVerdict {
  readonly outcome: BroadcastOutcome;
  /** `undefined` on success. */
  readonly action: BroadcastAction | undefined;
  readonly status: number;
  /** Apple's reason, as sent; absent on success. */
  readonly reason?: string | undefined;
  /** `apns-request-id` of the answer (ours, echoed, or one APNs generated). */
  readonly requestId: string;
  /** `apns-unique-id` (broadcast successes). */
  readonly uniqueId?: string | undefined;
  /** `apns-channel-id` (create successes). */
  readonly channelId?: string | undefined;
  /** `retry-after` in milliseconds, where one was given. */
  readonly retryAfterMs?: number | undefined;
}

export function broadcastOutcomeFor(action: BroadcastAction | undefined): BroadcastOutcome {
  switch (action) {
    case undefined:
      return 'ok';
    case 'fix':
      return 'rejected';
    case 'creds':
      return 'creds-broken';
    case 'gone':
    case 'capacity':
    case 'capability':
      return action;
    default:
      return 'retry';
  }
}
