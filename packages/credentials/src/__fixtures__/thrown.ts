import { expect } from 'vitest';
import { CredentialsError } from '../credentials-error.js';

/** The CredentialsError `fn` throws (fails the test when it throws nothing or something else). */
export function thrown(fn: () => unknown): CredentialsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialsError);
    return error as CredentialsError;
  }
  throw new Error('expected a CredentialsError');
}

/** The CredentialsError the promise rejects with. */
export async function rejected(promise: Promise<unknown>): Promise<CredentialsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialsError);
    return error as CredentialsError;
  }
  throw new Error('expected a CredentialsError');
}
