// The public surface of @pushfleet/apns: the APNs provider API (request, verdict, reason table), the HTTP/2
// session pool, provider tokens, Apple's host names (HTTP/2 and the legacy gateway), and what every
// transport shares (pending sends, backoff).
export {
  ProviderToken,
  type ProviderTokenClaims,
  type ProviderTokenOptions,
  signProviderToken,
} from './auth/provider-token.js';
export {
  DEFAULT_TOKEN_MIN_REFRESH_INTERVAL_MS,
  DEFAULT_TOKEN_REFRESH_AFTER_MS,
  type TokenRefreshRule,
  tokenRefreshDue,
  tokenRefreshRule,
} from './auth/provider-token-refresh.js';
export type { ProviderTokenSource } from './auth/provider-token-source.js';
export { BroadcastClient } from './broadcast/broadcast-client.js';
export {
  BROADCAST_ACTIONS,
  BROADCAST_REASONS,
  type BroadcastAction,
  type BroadcastReason,
  type BroadcastReasonInfo,
  broadcastActionFor,
  isBroadcastReason,
} from './broadcast/broadcast-reasons.js';
export {
  BROADCAST_PUSH_TYPE,
  type BroadcastOutcome,
  type BroadcastRequest,
  type BroadcastVerdict,
  broadcastOutcomeFor,
  CHANNEL_MANAGEMENT_HOSTS,
  CHANNEL_MANAGEMENT_PORTS,
  CHANNEL_PUSH_TYPE,
  type ChannelConfig,
  channelManagementUrl,
  MAX_BROADCAST_PAYLOAD_BYTES,
  MAX_CHANNELS_PER_APP,
  STORAGE_POLICIES,
  type StoragePolicy,
} from './broadcast/broadcast-types.js';
export {
  ChannelClient,
  type ChannelCreateResult,
  type ChannelListResult,
  type ChannelReadResult,
  type CreateChannelOptions,
} from './broadcast/channel-client.js';
export type { SessionAnswer, SessionRequest } from './broadcast/request-session.js';
export {
  RouteClient,
  type RouteClientOptions,
  type RouteResult,
  verdictOf as broadcastVerdictOf,
} from './broadcast/route-client.js';
export type { ClientCertificate, ExtraCa, TlsEndpointOptions } from './connection-options.js';
export {
  ApnsValidationError,
  TRANSPORT_ERROR_CODES,
  TransportError,
  type TransportErrorCode,
} from './errors.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_PING_TIMEOUT_MS,
  DEFAULT_RECONNECT_BASE_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type Http2ClientAuth,
  type Http2ClientOptions,
  MAX_EXPIRED_TOKEN_RETRIES,
  MAX_UNPROCESSED_RESENDS,
} from './http2/client-options.js';
export { SESSION_CLOSE_REASONS, type SessionCloseReason } from './http2/close-reasons.js';
export { Http2Pool, type Http2PoolStats } from './http2/http2-pool.js';
export { DEFAULT_MAX_SESSIONS, DEFAULT_MIN_SESSIONS, type Http2PoolOptions } from './http2/pool-options.js';
export {
  FEEDBACK_HOSTS,
  FEEDBACK_SERVICE_PORT,
  LEGACY_GATEWAY_HOSTS,
  LEGACY_GATEWAY_PORT,
} from './legacy-hosts.js';
export { NOOP_LISTENER, type TransportListener } from './listener.js';
export { PendingSends, promiseOf, type SendReceiver, type SettleableSend } from './pending-sends.js';
export {
  ACTIONS,
  type Action,
  actionFor,
  isReason,
  LEGACY_STATUSES,
  type LegacyStatus,
  legacyStatusInfo,
  REASONS,
  type Reason,
  type ReasonInfo,
} from './reasons.js';
export { ReconnectBackoff } from './reconnect-backoff.js';
export {
  APNS_ALTERNATE_PORT,
  APNS_HOSTS,
  APNS_PORT,
  type ApnsRequest,
  MAX_COLLAPSE_ID_BYTES,
  MAX_LEGACY_PAYLOAD_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_VOIP_PAYLOAD_BYTES,
  OUTCOMES,
  type Outcome,
  outcomeFor,
  PRIORITIES,
  type Priority,
  PUSH_TYPE_TOPIC_SUFFIX,
  PUSH_TYPES,
  type PushType,
  type Verdict,
} from './types.js';
