/**
 * Bad input refused at the door: names the field and what was wrong, with the limit where there is one.
 * Nothing is enqueued when this is thrown.
 */
export class ValidationError extends Error {
  override readonly name: string = 'ValidationError';
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

/** One problem of a batch: which notification (its index in the input), which of its fields, what was wrong. */
export interface BatchProblem {
  readonly index: number;
  /** The field inside that notification, e.g. `token` or `payload.aps`. */
  readonly field: string;
  readonly problem: string;
}

/**
 * A batch refused whole: `problems` lists every bad notification and field, in input order, so a caller fixes
 * them all in one go. Still a ValidationError whose `field` and `problem` are the first problem's
 * (`notifications[2].token`), for callers written before batches reported everything.
 */
export class BatchValidationError extends ValidationError {
  override readonly name: string = 'BatchValidationError';
  constructor(
    readonly problems: readonly BatchProblem[],
    /** What the batch is called in field paths. @defaultValue `'notifications'` */
    readonly listName = 'notifications',
  ) {
    const first = problems[0] ?? { index: 0, field: 'notification', problem: 'is invalid' };
    super(`${listName}[${first.index}].${first.field}`, first.problem);
    if (problems.length > 1) this.message += ` (and ${problems.length - 1} more: see problems)`;
  }
}

/**
 * Redis was not reachable within the configured time. `maybeEnqueued` is false when nothing was sent (the
 * usual case: the connection was down); true when a command was sent and its answer timed out, so only a
 * retry with the same apnsId is safe.
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly maybeEnqueued: boolean;
  constructor(
    /** The Redis URL (without credentials), or "Redis". */
    readonly where: string,
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    const maybeEnqueued = /timed out/i.test((cause as Error | undefined)?.message ?? '');
    super(
      `${where} is not reachable (waited ${timeoutMs} ms); ${maybeEnqueued ? 'the last command may have been applied: retry with the same apnsId' : 'nothing was enqueued, try again later'}`,
      cause === undefined ? undefined : { cause },
    );
    this.maybeEnqueued = maybeEnqueued;
  }
}
