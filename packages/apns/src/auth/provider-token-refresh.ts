/**
 * Where the provider token is refreshed: the one rule every `ProviderTokenSource` applies (the in-process
 * `ProviderToken` here, the Redis-shared token in @pushfleet/queue) to decide when a new token is minted.
 *
 * Apple ("Establishing a token-based connection to APNs"): a token whose `iat` is over an hour old is rejected
 * with 403 ExpiredProviderToken, and a new token more than once every 20 minutes gets 429
 * TooManyProviderTokenUpdates. So a token is kept until it is `refreshAfterMs` old (under the hour), and never
 * replaced sooner than `minRefreshIntervalMs` after it was issued, even when APNs rejected it as expired.
 */

/** Re-sign a token once it is this old (apns2 and pushy use 50 minutes; Apple's limit is 60). */
export const DEFAULT_TOKEN_REFRESH_AFTER_MS = 50 * 60_000;
/** Never mint more often than this (Apple: a new token more than once every 20 minutes gets 429). */
export const DEFAULT_TOKEN_MIN_REFRESH_INTERVAL_MS = 20 * 60_000;

/** When a token source mints: both bounds in milliseconds, `refreshAfterMs` ≥ `minRefreshIntervalMs`. */
export interface TokenRefreshRule {
  readonly refreshAfterMs: number;
  readonly minRefreshIntervalMs: number;
}

/** The rule from a source's options; a `refreshAfterMs` below the minimum interval is raised to it. */
export function tokenRefreshRule(
  options: {
    readonly refreshAfterMs?: number | undefined;
    readonly minRefreshIntervalMs?: number | undefined;
  },
  defaultRefreshAfterMs = DEFAULT_TOKEN_REFRESH_AFTER_MS,
): TokenRefreshRule {
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_TOKEN_MIN_REFRESH_INTERVAL_MS;
  const refreshAfterMs = Math.max(options.refreshAfterMs ?? defaultRefreshAfterMs, minRefreshIntervalMs);
  return { refreshAfterMs, minRefreshIntervalMs };
}

/**
 * Is a new token due? `ageMs` is how long ago the current token was issued; `rejected` says APNs answered 403
 * ExpiredProviderToken to the current token.
 */
export function tokenRefreshDue(rule: TokenRefreshRule, ageMs: number, rejected: boolean): boolean {
  if (ageMs < rule.minRefreshIntervalMs) return false;
  return rejected || ageMs >= rule.refreshAfterMs;
}
