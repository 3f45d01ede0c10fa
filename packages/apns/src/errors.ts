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

/**
 * Stable codes a {@link CredentialsError} may carry, for callers that match on the problem rather than the text
 * (certificate and .p12 loading always sets one; see `credentials/`).
 */
export const CREDENTIALS_ERROR_CODES = [
  'UNREADABLE',
  'WRONG_PASSPHRASE',
  'PASSPHRASE_REQUIRED',
  'NO_CERTIFICATE',
  'NO_PRIVATE_KEY',
  'MULTIPLE_PRIVATE_KEYS',
  'KEY_MISMATCH',
  'NOT_RSA',
  'EXPIRED',
  'NOT_YET_VALID',
  'NOT_PUSH_CERTIFICATE',
  'WRONG_ENVIRONMENT',
  'TOPIC_NOT_COVERED',
] as const;
export type CredentialsErrorCode = (typeof CREDENTIALS_ERROR_CODES)[number];

/** Credentials or their configuration are unusable. `problem` is a sentence a person can act on. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  /** Which problem, where the thrower set one (`undefined` otherwise). */
  readonly code: CredentialsErrorCode | undefined;
  constructor(
    readonly subject: string,
    readonly problem: string,
    options?: { cause?: unknown; code?: CredentialsErrorCode },
  ) {
    super(`${subject}: ${problem}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code;
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
