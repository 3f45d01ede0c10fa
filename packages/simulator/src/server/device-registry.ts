/**
 * What the simulator knows about device tokens: the token-state stage (9) of request-validator.ts.
 *
 *   environment ≠ the simulator's     → 400 BadDeviceToken (a token of the other environment)
 *   dead                              → 410 Unregistered | ExpiredToken, body timestamp = ms since epoch
 *   app ≠ the request's bundle id     → 400 DeviceTokenNotForTopic
 *
 * A token nobody marked is a valid token for any topic. Tokens are compared case-insensitively. A token
 * marked for a topic accepts that bundle id with any push-type suffix (`com.x`, `com.x.voip`, ...).
 */
import type { CertificateEnvironment } from '../certs/apple-oids.js';

export type DeadReason = 'Unregistered' | 'ExpiredToken';

export interface DeviceState {
  /** Set by markDead. */
  readonly dead?: { readonly reason: DeadReason; readonly timestamp: number } | undefined;
  /** Set by markForTopic: the bundle id the token belongs to. */
  readonly topic?: string | undefined;
  /** Set by markForEnvironment. */
  readonly environment?: CertificateEnvironment | undefined;
}

export interface MarkDeadOptions {
  /** ms since the epoch when the token was last confirmed invalid. @defaultValue now */
  readonly timestamp?: number | undefined;
  /** @defaultValue `'Unregistered'` */
  readonly reason?: DeadReason | undefined;
}

export class DeviceRegistry {
  readonly #devices = new Map<string, DeviceState>();

  /** Answer 410 for this token from now on. */
  markDead(token: string, options: MarkDeadOptions = {}): void {
    const dead = { reason: options.reason ?? 'Unregistered', timestamp: options.timestamp ?? Date.now() };
    this.#update(token, { dead });
  }

  /** The token belongs to this bundle id: other topics get 400 DeviceTokenNotForTopic. */
  markForTopic(token: string, topic: string): void {
    this.#update(token, { topic });
  }

  /** The token belongs to this environment: on the other one it gets 400 BadDeviceToken. */
  markForEnvironment(token: string, environment: CertificateEnvironment): void {
    this.#update(token, { environment });
  }

  /** Forget everything about the token: it is valid for any topic again. */
  markValid(token: string): void {
    this.#devices.delete(token.toLowerCase());
  }

  get(token: string): DeviceState | undefined {
    if (this.#devices.size === 0) return undefined;
    return this.#devices.get(token.toLowerCase());
  }

  clear(): void {
    this.#devices.clear();
  }

  /** Every token with a state (lowercase hex), in marking order: the legacy feedback service reads it. */
  entries(): IterableIterator<[string, DeviceState]> {
    return this.#devices.entries();
  }

  get size(): number {
    return this.#devices.size;
  }

  #update(token: string, patch: DeviceState): void {
    const key = token.toLowerCase();
    this.#devices.set(key, { ...this.#devices.get(key), ...patch });
  }
}
