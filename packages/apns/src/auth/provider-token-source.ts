/**
 * Where an HTTP/2 client gets its `authorization` value on token-authenticated connections (apns-protocol.md B.9).
 *
 * {@link ProviderToken} is the in-process implementation. A fleet-shared source (one token per team and key for
 * every worker, e.g. kept in Redis) implements the same two methods, so the client never knows which it has.
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
