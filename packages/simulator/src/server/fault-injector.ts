/**
 * Random server-side failures, the last validation stage before 200 (apns-protocol.md B.12):
 *
 *   r < rate429                      → 429 TooManyRequests
 *   r < rate429 + rate500            → 500 InternalServerError
 *   r < rate429 + rate500 + rate503  → 503 ServiceUnavailable
 *
 * r comes from a seeded PRNG, so a run is reproducible. Kept small on purpose: connection-level faults
 * (GOAWAY storms, resets, delays) build on `pick` later.
 */
import type { Reason } from '@pushfleet/apns';
import { createPrng } from './prng.js';

export interface FaultConfig {
  /** Share of accepted-so-far requests answered 429 TooManyRequests, 0..1. @defaultValue 0 */
  readonly rate429?: number | undefined;
  /** Share answered 500 InternalServerError, 0..1. @defaultValue 0 */
  readonly rate500?: number | undefined;
  /** Share answered 503 ServiceUnavailable, 0..1. @defaultValue 0 */
  readonly rate503?: number | undefined;
  /** PRNG seed. @defaultValue 1 */
  readonly seed?: number | undefined;
}

export class FaultInjector {
  #config: Required<FaultConfig> = { rate429: 0, rate500: 0, rate503: 0, seed: 1 };
  #random = createPrng(1);
  #active = false;

  /** Replace the fault configuration (and restart the PRNG from the seed). */
  set(config: FaultConfig): void {
    const rate = (name: string, v: number | undefined) => {
      const r = v ?? 0;
      if (!(r >= 0 && r <= 1)) throw new RangeError(`faults.set: ${name} must be between 0 and 1, got ${v}`);
      return r;
    };
    const next = {
      rate429: rate('rate429', config.rate429),
      rate500: rate('rate500', config.rate500),
      rate503: rate('rate503', config.rate503),
      seed: config.seed ?? 1,
    };
    if (next.rate429 + next.rate500 + next.rate503 > 1)
      throw new RangeError('faults.set: the rates add up to more than 1');
    this.#config = next;
    this.#random = createPrng(next.seed);
    this.#active = next.rate429 + next.rate500 + next.rate503 > 0;
  }

  clear(): void {
    this.set({});
  }

  get config(): Readonly<Required<FaultConfig>> {
    return this.#config;
  }

  /** The injected failure for this request, if any. */
  pick(): Reason | undefined {
    if (!this.#active) return undefined;
    const r = this.#random();
    const c = this.#config;
    if (r < c.rate429) return 'TooManyRequests';
    if (r < c.rate429 + c.rate500) return 'InternalServerError';
    if (r < c.rate429 + c.rate500 + c.rate503) return 'ServiceUnavailable';
    return undefined;
  }
}
