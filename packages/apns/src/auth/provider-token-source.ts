/**
 * Where an HTTP/2 client gets its `authorization` value on token-authenticated connections: the only way a pool
 * takes provider tokens (`auth: { kind: 'token', token }`).
 *
 * {@link ProviderToken} is the in-process implementation. A fleet-shared source (one token per team and key for
 * every worker, kept in Redis by @pushfleet/queue) implements the same two methods, so the client never knows
 * which it has. Both decide when to mint by the one rule in provider-token-refresh.ts.
 *
 * Lifecycle: whoever creates a source closes it (if it has anything to close); a pool never does, because one
 * source may serve several pools (apps sharing a team key) and outlive each of them.
 */
export interface ProviderTokenSource {
  /**
   * The current `authorization` header value, `bearer <jwt>`. Called once per request, so it must be cheap:
   * return a cached string and re-sign only when the token is due.
   */
  bearer(): string;
  /**
   * APNs answered 403 `ExpiredProviderToken` to a request that carried `rejected`. Mint a new token only if
   * `rejected` is still the current one (so many concurrent rejections mint once) and return the bearer to retry
   * with.
   */
  refreshAfterRejection(rejected: string): string;
}
