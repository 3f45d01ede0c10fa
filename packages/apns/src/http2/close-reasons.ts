import type { ConnectionCloseReason } from '@pushfleet/h2';

/**
 * Why a session ended; a bounded label for `TransportListener.onConnectionClosed`: the HTTP/2 connection's own
 * reasons, plus the pool's: it retires a session after 403 ExpiredProviderToken, and after
 * `MAX_UNANSWERED_IN_A_ROW` requests in a row timed out on it with no answer between (`unanswered`).
 */
export const SESSION_CLOSE_REASONS = [
  'goaway',
  'error',
  'remote-closed',
  'ping-timeout',
  'connect-timeout',
  'expired-provider-token',
  'unanswered',
  'closed',
] as const satisfies readonly (ConnectionCloseReason | 'expired-provider-token' | 'unanswered')[];
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];

/** Why the pool itself retires a session (beyond the connection's own reasons). */
export type PoolRetireReason = 'expired-provider-token' | 'unanswered';
