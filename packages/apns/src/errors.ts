/**
 * Transport failure: APNs gave no answer for this notification (the stream died, the session went away,
 * the connection could not be made). Always safe to resend: nothing is known to have been delivered.
 */
export const TRANSPORT_ERROR_CODES = [
  'GOAWAY',
  'STREAM_RESET',
  'CONNECT_FAILED',
  'TIMEOUT',
  'CLOSED',
  'LEGACY_SHUTDOWN',
  'PROTOCOL',
] as const;
export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad input refused before anything was sent: names the field and the problem. */
export class ApnsValidationError extends Error {
  override readonly name = 'ApnsValidationError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}
