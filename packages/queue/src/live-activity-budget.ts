/**
 * The Live Activity priority budget (docs/protocol/broadcast.md E.5.4): a device allows an hourly budget of
 * ActivityKit pushes; priority 10 (and an omitted priority) counts against it, 5 does not, and past it the
 * system throttles. Apple publishes no number, so the flood threshold is ours and configurable: more than
 * `maxPriority10PerHour` priority-10 pushes to one target (an activity token, or a channel) in an hour is
 * reported once an hour per target, with the advice Apple gives (mix in priority 5).
 */

/** Priority-10 Live Activity pushes to one target per hour before a warning [Ours]. */
export const DEFAULT_MAX_PRIORITY_10_PER_HOUR = 60;
const HOUR_MS = 3600_000;

export interface LiveActivityBudgetWarning {
  /** `token:<hex>` or `channel:<id>`. */
  readonly target: string;
  /** Priority-10 pushes to it in the last hour. */
  readonly count: number;
  readonly message: string;
}

export interface LiveActivityBudgetOptions {
  /** @defaultValue DEFAULT_MAX_PRIORITY_10_PER_HOUR */
  readonly maxPriority10PerHour?: number | undefined;
  /** @defaultValue `process.emitWarning` */
  readonly onWarning?: ((warning: LiveActivityBudgetWarning) => void) | undefined;
}

export class LiveActivityBudget {
  readonly #max: number;
  readonly #onWarning: (warning: LiveActivityBudgetWarning) => void;
  /** Per target: times of its priority-10 pushes in the last hour, and when it was last warned about. */
  readonly #targets = new Map<string, { times: number[]; warnedAt: number }>();

  constructor(options: LiveActivityBudgetOptions = {}) {
    this.#max = options.maxPriority10PerHour ?? DEFAULT_MAX_PRIORITY_10_PER_HOUR;
    this.#onWarning =
      options.onWarning ?? ((w) => process.emitWarning(w.message, { type: 'LiveActivityBudgetWarning' }));
  }

  /** A Live Activity push to `target` at `priority` (omitted counts as 10). */
  note(target: string, priority: number | undefined, now = Date.now()): void {
    if (priority !== undefined && priority !== 10) return;
    let t = this.#targets.get(target);
    if (t === undefined) {
      if (this.#targets.size > 10_000) this.#prune(now);
      t = { times: [], warnedAt: Number.NEGATIVE_INFINITY };
      this.#targets.set(target, t);
    }
    t.times.push(now);
    while (t.times.length > 0 && t.times[0]! <= now - HOUR_MS) t.times.shift();
    if (t.times.length > this.#max && now - t.warnedAt >= HOUR_MS) {
      t.warnedAt = now;
      this.#onWarning({
        target,
        count: t.times.length,
        message: `${t.times.length} priority-10 Live Activity pushes to ${target} within an hour: priority 10 counts against the device's hourly budget and the system may throttle; send most updates at priority 5`,
      });
    }
  }

  #prune(now: number): void {
    for (const [key, t] of this.#targets)
      if ((t.times.at(-1) ?? 0) <= now - HOUR_MS) this.#targets.delete(key);
  }
}
