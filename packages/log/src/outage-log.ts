/**
 * Repeated errors, one line per outage: the first failure of a thing (`redis`, `queue demo`...) is logged
 * with its error, the failures after it are only counted, and when the thing works again one line says for
 * how long it was down and how many errors it took. While an outage lasts, a reminder line every
 * `reminderMs` carries the count so far, so a long outage is neither silent nor thousands of lines.
 */
import type { Logger } from 'pino';

/** @defaultValue of `OutageLogOptions.reminderMs`: five minutes */
export const DEFAULT_OUTAGE_REMINDER_MS = 300_000;

export interface OutageLogOptions {
  /** While failing, log a reminder with the count this often; 0 = never. @defaultValue 300000 */
  readonly reminderMs?: number;
  /** For tests. @defaultValue Date.now */
  readonly now?: () => number;
}

interface Outage {
  readonly since: number;
  errors: number;
  remindedAt: number;
  lastError: string;
}

export class OutageLog {
  readonly #log: Logger;
  readonly #reminderMs: number;
  readonly #now: () => number;
  readonly #outages = new Map<string, Outage>();

  constructor(log: Logger, options: OutageLogOptions = {}) {
    this.#log = log;
    this.#reminderMs = options.reminderMs ?? DEFAULT_OUTAGE_REMINDER_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Is `what` failing now? */
  isFailing(what: string): boolean {
    return this.#outages.has(what);
  }

  /** `what` failed: the first failure of an outage is logged (warn), the others counted. */
  failed(what: string, error: unknown, fields: Record<string, unknown> = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.#now();
    const outage = this.#outages.get(what);
    if (!outage) {
      this.#outages.set(what, { since: now, errors: 1, remindedAt: now, lastError: message });
      this.#log.warn({ ...fields, what, error: message }, `${what} is failing; further errors are counted`);
      return;
    }
    outage.errors++;
    outage.lastError = message;
    if (this.#reminderMs > 0 && now - outage.remindedAt >= this.#reminderMs) {
      outage.remindedAt = now;
      this.#log.warn(
        { ...fields, what, error: message, errors: outage.errors, downMs: now - outage.since },
        `${what} is still failing`,
      );
    }
  }

  /** `what` works again: if it was failing, one line with the outage's length and error count. */
  recovered(what: string, fields: Record<string, unknown> = {}): void {
    const outage = this.#outages.get(what);
    if (!outage) return;
    this.#outages.delete(what);
    this.#log.info(
      {
        ...fields,
        what,
        errors: outage.errors,
        downMs: this.#now() - outage.since,
        lastError: outage.lastError,
      },
      `${what} is back`,
    );
  }

  /** Everything that was failing works again (e.g. the one Redis connection they share is back). */
  recoveredAll(fields: Record<string, unknown> = {}): void {
    for (const what of [...this.#outages.keys()]) this.recovered(what, fields);
  }
}
