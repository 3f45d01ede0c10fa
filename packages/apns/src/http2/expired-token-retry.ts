import type { ProviderTokenSource } from '../auth/provider-token-source.js';
import type { Verdict } from '../types.js';
import { MAX_EXPIRED_TOKEN_RETRIES } from './client-options.js';
import type { PoolRequest } from './pool-request.js';

/**
 * 403 ExpiredProviderToken leaves the connection unusable: pushy closes it and retries with a new token on a new
 * connection, and so do we, once (`MAX_EXPIRED_TOKEN_RETRIES`). Returns true when `pending` is to be sent again:
 * the source was told which bearer APNs rejected (it decides whether to mint, see provider-token-refresh.ts),
 * and the caller retires the connection.
 */
export function retryAfterExpiredToken(
  pending: PoolRequest,
  verdict: Verdict,
  token: ProviderTokenSource | undefined,
): boolean {
  if (verdict.reason !== 'ExpiredProviderToken' || token === undefined) return false;
  if (pending.jwtRetries >= MAX_EXPIRED_TOKEN_RETRIES) return false;
  pending.jwtRetries++;
  if (pending.bearer !== undefined) token.refreshAfterRejection(pending.bearer);
  return true;
}
