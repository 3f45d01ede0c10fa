/**
 * Delay before the next connection attempt: none while connections work; after failures in a row, exponential
 * from `baseDelayMs` up to `maxDelayMs`, with jitter (50-100% of the step) so that a fleet does not reconnect in
 * step: APNs treats rapid connection and disconnection as a denial-of-service attack (Apple, "Sending
 * notification requests to APNs").
 */
export class ReconnectBackoff {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  #failures = 0;

  constructor(baseDelayMs: number, maxDelayMs: number) {
    this.#baseDelayMs = baseDelayMs;
    this.#maxDelayMs = maxDelayMs;
  }

  /** Failures in a row so far. */
  get failures(): number {
    return this.#failures;
  }

  /** A connection failed, or ended before it delivered anything. */
  failed(): void {
    this.#failures++;
  }

  /** A connection worked: the next attempt goes at once. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** Milliseconds to wait before the next attempt. */
  delayMs(): number {
    if (this.#failures === 0) return 0;
    const exp = this.#baseDelayMs * 2 ** Math.min(this.#failures - 1, 16);
    return Math.round(Math.min(this.#maxDelayMs, exp) * (0.5 + Math.random() * 0.5));
  }
}
