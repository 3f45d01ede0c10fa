/**
 * Bad input refused at the door: names the field and what was wrong, with the limit where there is one.
 * Nothing is enqueued when this is thrown.
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    /** Dotted path of the bad field, e.g. `payload` or `notifications[3].token`. */
    readonly field: string,
    /** What was wrong, as a person would say it. */
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }

  /** The same error with its field path placed under `prefix` (used for batches). */
  under(prefix: string): ValidationError {
    return new ValidationError(`${prefix}.${this.field}`, this.problem);
  }
}
