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
