/**
 * The reason table of the broadcast and channel-management APIs (Apple's "Handling error responses from Apple
 * Push Notification service", docs/protocol/broadcast.md §Reasons). It is not the `/3/device` table: no 410, no
 * `timestamp`, and three actions of its own. The simulator answers from it and the clients classify with it.
 */
import type { Action } from '../reasons.js';

/**
 * What the provider does with a broadcast or channel answer: the `/3/device` actions, plus
 * - `gone`: the channel does not exist in this environment; stop sending to it, drop the mapping.
 * - `capacity`: the 10,000-channel limit is reached; delete channels you no longer need, then retry.
 * - `capability`: Broadcast Capability is off for the App ID; alert the operator, pause that app's broadcasts.
 */
export const BROADCAST_ACTIONS = [
  'fix',
  'creds',
  'jwt',
  'retry',
  'reconnect',
  'gone',
  'capacity',
  'capability',
] as const;
export type BroadcastAction = Exclude<Action, 'token'> | 'gone' | 'capacity' | 'capability';

export interface BroadcastReasonInfo {
  readonly status: number;
  readonly action: BroadcastAction;
  readonly meaning: string;
}

export const BROADCAST_REASONS = {
  // 400
  FeatureNotEnabled: {
    status: 400,
    action: 'capability',
    meaning: 'broadcast is not enabled for this topic',
  },
  MissingChannelId: { status: 400, action: 'fix', meaning: 'no apns-channel-id' },
  BadChannelId: { status: 400, action: 'gone', meaning: 'apns-channel-id is badly encoded or too long' },
  ChannelNotRegistered: {
    status: 400,
    action: 'gone',
    meaning: 'the channel does not exist: never created, deleted, or of the other environment',
  },
  BadRequestParams: {
    status: 400,
    action: 'fix',
    meaning: 'the JSON body has an attribute APNs does not know',
  },
  BadRequestPayload: { status: 400, action: 'fix', meaning: 'the JSON body cannot be parsed' },
  PayloadEmpty: { status: 400, action: 'fix', meaning: 'the request has no payload' },
  BadMessageId: { status: 400, action: 'fix', meaning: 'bad apns-id (do not send apns-id)' },
  MissingPushType: {
    status: 400,
    action: 'fix',
    meaning: 'apns-push-type (or the create body push-type) missing',
  },
  InvalidPushType: { status: 400, action: 'fix', meaning: 'push type is not LiveActivity' },
  CannotCreateChannelConfig: {
    status: 400,
    action: 'capacity',
    meaning: 'the app has reached its channel limit',
  },
  BadExpirationDate: {
    status: 400,
    action: 'fix',
    meaning: 'apns-expiration missing, not an epoch, or nonzero on a No-Message-Stored channel',
  },
  TopicDisallowed: {
    status: 400,
    action: 'fix',
    meaning: 'the bundle id in the path carries a push-type suffix',
  },
  BadPriority: { status: 400, action: 'fix', meaning: 'invalid apns-priority' },
  MissingChannelQueueSize: {
    status: 400,
    action: 'fix',
    meaning: 'message-storage-policy missing or not 0/1 (seen by hapns; undocumented)',
  },
  DuplicateHeaders: { status: 400, action: 'fix', meaning: 'a header was repeated' },
  // 403
  BadCertificate: { status: 403, action: 'creds', meaning: 'the certificate is invalid' },
  BadCertificateEnvironment: {
    status: 403,
    action: 'creds',
    meaning: 'the certificate is for the other environment',
  },
  TopicMismatch: {
    status: 403,
    action: 'creds',
    meaning: 'the token or certificate does not cover the bundle id (check its letter case)',
  },
  MissingProviderToken: { status: 403, action: 'creds', meaning: 'neither a certificate nor a JWT' },
  ExpiredProviderToken: { status: 403, action: 'jwt', meaning: 'the JWT has expired' },
  InvalidProviderToken: { status: 403, action: 'creds', meaning: 'the JWT is invalid' },
  // Not in Apple's broadcast error table, but may well occur on these routes: handled as on /3/device.
  UnrelatedKeyIdInToken: {
    status: 403,
    action: 'creds',
    meaning: 'key unrelated to the connection (not in ER)',
  },
  BadEnvironmentKeyIdInToken: {
    status: 403,
    action: 'creds',
    meaning: 'environment-scoped key used on the other environment (not in ER)',
  },
  BadEnvironmentKeyInToken: {
    status: 403,
    action: 'creds',
    meaning: 'spelling of BadEnvironmentKeyIdInToken seen on the wire (not in ER)',
  },
  Forbidden: { status: 403, action: 'creds', meaning: 'the action is not allowed (not in ER)' },
  // 404, 405, 413
  BadPath: {
    status: 404,
    action: 'fix',
    meaning: 'bad URL: /1/apps/... goes to the management host, /4/... to the push host',
  },
  MethodNotAllowed: { status: 405, action: 'fix', meaning: 'the :method is not allowed' },
  PayloadTooLarge: { status: 413, action: 'fix', meaning: 'the body is over 5120 bytes' },
  // 429
  TooManyRequests: { status: 429, action: 'retry', meaning: 'throttled: too many requests' },
  IdleTimeout: { status: 400, action: 'reconnect', meaning: 'idle time out (not in ER)' },
  TooManyProviderTokenUpdates: {
    status: 429,
    action: 'retry',
    meaning: 'the JWT changes more often than every 20 minutes; retry with the same token',
  },
  // 500, 503: Apple's error page spells it with a space, the /3/device page without; both are accepted.
  InternalServerError: { status: 500, action: 'reconnect', meaning: 'unexpected error' },
  'Service Unavailable': {
    status: 503,
    action: 'retry',
    meaning: 'service unavailable (spelling of the ER page)',
  },
  ServiceUnavailable: { status: 503, action: 'retry', meaning: 'service unavailable' },
  Shutdown: { status: 503, action: 'reconnect', meaning: 'the server is shutting down' },
} as const satisfies Record<string, BroadcastReasonInfo>;

export type BroadcastReason = keyof typeof BROADCAST_REASONS;

export function isBroadcastReason(s: string): s is BroadcastReason {
  return Object.hasOwn(BROADCAST_REASONS, s);
}

/** The action for an answer; an unknown reason is retried (capped by the caller), like on `/3/device`. */
export function broadcastActionFor(status: number, reason: string | undefined): BroadcastAction {
  if (reason !== undefined && isBroadcastReason(reason)) return BROADCAST_REASONS[reason].action;
  if (status === 413) return 'fix';
  return 'retry';
}
