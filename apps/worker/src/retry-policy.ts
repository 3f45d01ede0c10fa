/**
 * The fleet's one retry policy: for every answer that is not final (the reason table's `retry`, `reconnect` and
 * `jwt` actions, and a request that got no answer at all), whether to try again, after how long, on which
 * connection, and until when. The worker asks it once per notification per attempt; nothing else decides.
 *
 * - How long: exponential backoff with full jitter (random between 0 and base·2^(tries-1), capped), never
 *   sooner than `floorMs`, and never sooner than Apple's `retry-after` when it sent one.
 * - Until when: Apple stores a notification until its `apns-expiration` and we promise no less, so that is
 *   the horizon; a notification without one is retried for `maxAgeMs` after it was enqueued; one sent with
 *   expiration 0 ("deliver now or never") only for `noStoreHorizonMs`.
 * - Past the horizon the notification is given up: `expired` when it carried an expiration (its own, or 0's
 *   short horizon), `dead-lettered` when our maximum age ran out. Either way it lands in the app's dead-letter list.
 */
import type { Action, TransportErrorCode } from '@pushfleet/apns';

export interface RetryPolicyOptions {
  /** The first retry's backoff ceiling; it doubles per try. @defaultValue 1000 */
  readonly baseDelayMs: number;
  /** The most one backoff may be (before `retry-after`, which is always honoured). @defaultValue 300000 */
  readonly maxDelayMs: number;
  /** The least one backoff may be. @defaultValue 250 */
  readonly floorMs: number;
  /** How long a notification without `apns-expiration` is retried after it was enqueued. @defaultValue 24 h */
  readonly maxAgeMs: number;
  /**
   * How long a notification with `apns-expiration: 0` is retried. Apple will not store such a notification
   * (a call, a ride arriving now), so late is as good as never: one minute covers a reconnect or a short
   * throttle without delivering something stale. @defaultValue 60000
   */
  readonly noStoreHorizonMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = Object.freeze({
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  floorMs: 250,
  maxAgeMs: 24 * 3600_000,
  noStoreHorizonMs: 60_000,
});

/** What went wrong on this try: an APNs answer's action, or a transport failure (no answer). */
export type RetryCause =
  | { readonly kind: 'answer'; readonly action: Action; readonly retryAfterMs?: number | undefined }
  | { readonly kind: 'transport'; readonly code: TransportErrorCode };

export interface RetryInput {
  readonly cause: RetryCause;
  /** Tries made so far, this one included (1 after the first failure). */
  readonly tries: number;
  /** When the notification was enqueued (or re-driven from the dead-letter list), ms since the epoch. */
  readonly enqueuedAt: number;
  /** Its `apns-expiration`, UNIX seconds; 0 = do not store; undefined = none given. */
  readonly expiration?: number | undefined;
  readonly now: number;
}

export type RetryDecision =
  | {
      readonly retry: true;
      /** When to try again, ms since the epoch. */
      readonly atMs: number;
      /** Try on a connection opened after this answer (`reconnect`, `jwt`, a protocol error). */
      readonly freshConnection: boolean;
    }
  | {
      readonly retry: false;
      readonly outcome: 'expired' | 'dead-lettered';
      readonly reason: string;
    };

/** The last moment a notification may still be sent, ms since the epoch. */
export function retryHorizon(policy: RetryPolicyOptions, enqueuedAt: number, expiration?: number): number {
  if (expiration === undefined) return enqueuedAt + policy.maxAgeMs;
  if (expiration === 0) return enqueuedAt + policy.noStoreHorizonMs;
  return expiration * 1000;
}

/**
 * Whether a notification is past its horizon before this run sends it (it waited in the queue, or its last
 * retry came due too late); `tries` so far and the last failure's reason go into the verdict's reason.
 */
export function expiredBeforeSend(
  policy: RetryPolicyOptions,
  n: { readonly enqueuedAt: number; readonly expiration?: number | undefined },
  now: number,
  tries = 0,
): RetryDecision | undefined {
  if (now < retryHorizon(policy, n.enqueuedAt, n.expiration)) return undefined;
  return giveUp(n.expiration, tries > 0 ? `after ${tries} tries` : 'while it waited in the queue');
}

export function decideRetry(
  policy: RetryPolicyOptions,
  input: RetryInput,
  random: () => number = Math.random,
): RetryDecision {
  const horizon = retryHorizon(policy, input.enqueuedAt, input.expiration);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, input.tries - 1));
  let delay = Math.max(policy.floorMs, random() * ceiling);
  const retryAfterMs = input.cause.kind === 'answer' ? input.cause.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) delay = Math.max(delay, retryAfterMs);
  let atMs = input.now + delay;
  if (atMs >= horizon) {
    // One last try just inside the horizon when there is room for it; else give up.
    if (horizon - input.now <= policy.floorMs) return giveUp(input.expiration, `after ${input.tries} tries`);
    atMs = horizon - policy.floorMs;
  }
  return { retry: true, atMs: Math.round(atMs), freshConnection: needsFreshConnection(input.cause) };
}

function needsFreshConnection(cause: RetryCause): boolean {
  if (cause.kind === 'answer') return cause.action === 'reconnect' || cause.action === 'jwt';
  return cause.code === 'PROTOCOL';
}

function giveUp(expiration: number | undefined, why: string): RetryDecision {
  return expiration !== undefined
    ? { retry: false, outcome: 'expired', reason: `apns-expiration passed ${why}` }
    : { retry: false, outcome: 'dead-lettered', reason: `retry horizon passed ${why}` };
}
