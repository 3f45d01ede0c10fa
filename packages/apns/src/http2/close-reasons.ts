/** Why a session ended; a bounded label for `TransportListener.onConnectionClosed`. */
export const SESSION_CLOSE_REASONS = [
  'goaway',
  'error',
  'remote-closed',
  'ping-timeout',
  'connect-timeout',
  'expired-provider-token',
  'closed',
] as const;
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];
