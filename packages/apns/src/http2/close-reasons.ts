import type { ConnectionCloseReason } from '@pushfleet/h2';

/**
 * Why a session ended; a bounded label for `TransportListener.onConnectionClosed`: the HTTP/2 connection's own
 * reasons, plus the one the pool gives when it retires a session after 403 ExpiredProviderToken.
 */
export const SESSION_CLOSE_REASONS = [
  'goaway',
  'error',
  'remote-closed',
  'ping-timeout',
  'connect-timeout',
  'expired-provider-token',
  'closed',
] as const satisfies readonly (ConnectionCloseReason | 'expired-provider-token')[];
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];
