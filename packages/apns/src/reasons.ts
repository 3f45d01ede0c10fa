/**
 * The one reason table: Apple's status codes and reason strings ("Handling notification responses from APNs")
 * and the legacy status bytes (the Binary Provider API), each with the action we chose for it.
 *
 * Every status and reason string APNs can answer maps to an action, and the action alone decides what
 * the fleet does: the HTTP/2 client, the legacy connection, the worker and the simulator all read
 * these tables, so a reason is classified in exactly one place.
 */

/**
 * What the provider does with an answer.
 * - `fix`: permanent failure of this request; report it, never retry it unchanged.
 * - `token`: the device token is dead (or not for this topic/environment): report it to the registry.
 * - `creds`: credentials or configuration are broken: fail, alert, pause the app rather than burn its queue.
 * - `jwt`: mint a new provider token and retry (on a new connection).
 * - `retry`: transient; retry with backoff.
 * - `reconnect`: retry on a fresh connection.
 */
export const ACTIONS = ['fix', 'token', 'creds', 'jwt', 'retry', 'reconnect'] as const;
export type Action = (typeof ACTIONS)[number];

export interface ReasonInfo {
  readonly status: number;
  readonly action: Action;
  readonly meaning: string;
}

/** HTTP/2 reasons, grouped by status as Apple's table is. */
export const REASONS = {
  // 400
  BadCollapseId: { status: 400, action: 'fix', meaning: 'apns-collapse-id is over 64 bytes' },
  BadDeviceToken: {
    status: 400,
    action: 'token',
    meaning: 'malformed device token, or a token of the other environment',
  },
  BadExpirationDate: { status: 400, action: 'fix', meaning: 'bad apns-expiration' },
  BadMessageId: { status: 400, action: 'fix', meaning: 'bad apns-id' },
  BadPriority: { status: 400, action: 'fix', meaning: 'bad apns-priority' },
  BadTopic: { status: 400, action: 'fix', meaning: 'bad apns-topic' },
  DeviceTokenNotForTopic: {
    status: 400,
    action: 'token',
    meaning: 'the device token belongs to another topic',
  },
  DuplicateHeaders: { status: 400, action: 'fix', meaning: 'a header was repeated' },
  IdleTimeout: { status: 400, action: 'reconnect', meaning: 'idle time out' },
  InvalidPushType: { status: 400, action: 'fix', meaning: 'bad apns-push-type' },
  MissingDeviceToken: { status: 400, action: 'fix', meaning: 'no device token in :path' },
  MissingTopic: { status: 400, action: 'fix', meaning: 'apns-topic is required but absent' },
  PayloadEmpty: { status: 400, action: 'fix', meaning: 'empty body' },
  TopicDisallowed: { status: 400, action: 'creds', meaning: 'pushing to this topic is not allowed' },
  // 403
  BadCertificate: { status: 403, action: 'creds', meaning: 'the certificate is bad' },
  BadCertificateEnvironment: {
    status: 403,
    action: 'creds',
    meaning: 'the certificate is for the other environment',
  },
  ExpiredProviderToken: { status: 403, action: 'jwt', meaning: 'provider token iat is older than one hour' },
  Forbidden: { status: 403, action: 'creds', meaning: 'the action is not allowed' },
  InvalidProviderToken: {
    status: 403,
    action: 'creds',
    meaning: 'provider token invalid, unverifiable, wrong team or key',
  },
  MissingProviderToken: {
    status: 403,
    action: 'creds',
    meaning: 'no certificate and no usable authorization header',
  },
  UnrelatedKeyIdInToken: {
    status: 403,
    action: 'creds',
    meaning: 'key id unrelated to the key(s) this connection is bound to',
  },
  BadEnvironmentKeyIdInToken: {
    status: 403,
    action: 'creds',
    meaning: 'environment-scoped key used on the other environment',
  },
  BadEnvironmentKeyInToken: {
    status: 403,
    action: 'creds',
    meaning: 'spelling of BadEnvironmentKeyIdInToken seen on the wire',
  },
  // 404, 405
  BadPath: { status: 404, action: 'fix', meaning: 'bad :path' },
  MethodNotAllowed: { status: 405, action: 'fix', meaning: ':method is not POST' },
  // 410
  ExpiredToken: { status: 410, action: 'token', meaning: 'the device token has expired' },
  Unregistered: { status: 410, action: 'token', meaning: 'the device token is inactive for the topic' },
  // 413
  PayloadTooLarge: { status: 413, action: 'fix', meaning: 'the body is over the size limit' },
  // 429
  TooManyProviderTokenUpdates: {
    status: 429,
    action: 'retry',
    meaning: 'provider token changed too often; retry with the same token',
  },
  TooManyRequests: {
    status: 429,
    action: 'retry',
    meaning: 'too many consecutive pushes to one device token',
  },
  // 500, 503
  InternalServerError: { status: 500, action: 'reconnect', meaning: 'internal server error' },
  ServiceUnavailable: { status: 503, action: 'retry', meaning: 'service unavailable' },
  Shutdown: { status: 503, action: 'reconnect', meaning: 'server shutting down' },
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;

/** Is `s` one of Apple's documented reason strings? */
export function isReason(s: string): s is Reason {
  return Object.hasOwn(REASONS, s);
}

/**
 * The action for an answer. Unknown reasons are handled safely: a 5xx or 429 is retried, anything else
 * is retried too (with capped attempts by the caller) and counted under reason="unknown".
 */
export function actionFor(status: number, reason: string | undefined): Action {
  if (reason !== undefined && isReason(reason)) return REASONS[reason].action;
  if (status === 410) return 'token';
  return 'retry';
}

/** Legacy binary error-response status bytes, as Apple's Binary Provider API lists them; actions are ours. */
export const LEGACY_STATUSES = {
  0: { name: 'NoErrors', action: 'reconnect', meaning: 'no errors encountered (spurious on the wire)' },
  1: { name: 'ProcessingError', action: 'retry', meaning: 'processing error' },
  2: { name: 'MissingDeviceToken', action: 'fix', meaning: 'missing device token' },
  3: { name: 'MissingTopic', action: 'fix', meaning: 'missing topic' },
  4: { name: 'MissingPayload', action: 'fix', meaning: 'missing payload' },
  5: { name: 'InvalidTokenSize', action: 'token', meaning: 'invalid token size' },
  6: { name: 'InvalidTopicSize', action: 'fix', meaning: 'invalid topic size' },
  7: { name: 'InvalidPayloadSize', action: 'fix', meaning: 'invalid payload size' },
  8: { name: 'InvalidToken', action: 'token', meaning: 'invalid token' },
  10: { name: 'Shutdown', action: 'reconnect', meaning: 'shutdown; identifier is the last one processed' },
  128: { name: 'ProtocolError', action: 'fix', meaning: 'protocol error: could not parse the notification' },
  255: { name: 'None', action: 'retry', meaning: 'unknown error' },
} as const satisfies Record<number, { name: string; action: Action; meaning: string }>;

export type LegacyStatus = keyof typeof LEGACY_STATUSES;

export function legacyStatusInfo(status: number): { name: string; action: Action; meaning: string } {
  return (
    (LEGACY_STATUSES as Record<number, { name: string; action: Action; meaning: string }>)[status] ?? {
      name: `Status${status}`,
      action: 'retry',
      meaning: 'unknown status byte',
    }
  );
}
