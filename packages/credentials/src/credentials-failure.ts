import { CredentialsError, type CredentialsErrorCode } from './credentials-error.js';

/** Shorthand for a coded {@link CredentialsError}: `"<source>: <problem>"`. Never pass a secret in `problem`. */
export function credentialsFailure(
  source: string,
  code: CredentialsErrorCode,
  problem: string,
  cause?: unknown,
): CredentialsError {
  return new CredentialsError(source, problem, cause === undefined ? { code } : { code, cause });
}
