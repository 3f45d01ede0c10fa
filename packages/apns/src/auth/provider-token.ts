import { type KeyObject, sign } from 'node:crypto';
import { assertSigningKey, CredentialsError } from '@pushfleet/credentials';
import { type TokenRefreshRule, tokenRefreshDue, tokenRefreshRule } from './provider-token-refresh.js';
import type { ProviderTokenSource } from './provider-token-source.js';

/**
 * ES256 provider tokens for token-based APNs authentication (Apple, "Establishing a token-based connection to
 * APNs").
 *
 * A token is the compact JWS `b64url({"alg":"ES256","kid"}).b64url({"iss","iat"}).b64url(r‖s)`, signed with the
 * team's `.p8` key (the signature is the 64-byte r‖s form, not DER). It is minted once and shared by every
 * request until it is due (provider-token-refresh.ts).
 */

const ID_PATTERN = /^[A-Z0-9]{10}$/;

/** Options of {@link ProviderToken}. */
export interface ProviderTokenOptions {
  /** The EC P-256 signing key, from {@link loadSigningKey}. */
  readonly key: KeyObject;
  /** The 10-character Key ID of the `.p8` key (the JWT header's `kid`). */
  readonly keyId: string;
  /** The 10-character Team ID (the JWT's `iss`). */
  readonly teamId: string;
  /**
   * Wall clock in milliseconds since the epoch; injectable for tests.
   * @defaultValue `Date.now`
   */
  readonly clock?: () => number;
  /**
   * Re-sign once the current token is this old.
   * @defaultValue {@link DEFAULT_TOKEN_REFRESH_AFTER_MS} (50 minutes)
   */
  readonly refreshAfterMs?: number;
  /**
   * Never mint a new token sooner than this after the last one, even after a rejection.
   * @defaultValue {@link DEFAULT_TOKEN_MIN_REFRESH_INTERVAL_MS} (20 minutes)
   */
  readonly minRefreshIntervalMs?: number;
}

/** Inputs of {@link signProviderToken}. */
export interface ProviderTokenClaims {
  readonly key: KeyObject;
  readonly keyId: string;
  readonly teamId: string;
  /** `iat`, UNIX seconds. */
  readonly issuedAt: number;
}

/** Build and sign one provider token; returns the bare JWT (no `bearer ` prefix). */
export function signProviderToken(claims: ProviderTokenClaims): string {
  assertId('keyId', claims.keyId);
  assertId('teamId', claims.teamId);
  return signWithHeader(encodeHeader(claims.keyId), claims.key, claims.teamId, claims.issuedAt);
}

/**
 * An in-process {@link ProviderTokenSource}: one cached bearer string, re-signed when it is
 * `refreshAfterMs` old and never more often than `minRefreshIntervalMs` (apns2's `GenerateIfExpired`).
 */
export class ProviderToken implements ProviderTokenSource {
  readonly #key: KeyObject;
  readonly #teamId: string;
  readonly #header: string;
  readonly #clock: () => number;
  readonly #rule: TokenRefreshRule;
  #bearer: string;
  #issuedAtMs: number;

  /** @throws CredentialsError naming the field when keyId, teamId or the key is unusable. */
  constructor(options: ProviderTokenOptions) {
    assertId('keyId', options.keyId);
    assertId('teamId', options.teamId);
    assertSigningKey(options.key, 'key');
    this.#key = options.key;
    this.#teamId = options.teamId;
    this.#header = encodeHeader(options.keyId);
    this.#clock = options.clock ?? Date.now;
    this.#rule = tokenRefreshRule(options);
    this.#issuedAtMs = this.#clock();
    this.#bearer = this.#mint(this.#issuedAtMs);
  }

  /** The cached `bearer <jwt>`; re-signed first when it is due. */
  bearer(): string {
    const now = this.#clock();
    if (tokenRefreshDue(this.#rule, now - this.#issuedAtMs, false)) this.#refresh(now);
    return this.#bearer;
  }

  /** See {@link ProviderTokenSource.refreshAfterRejection}. */
  refreshAfterRejection(rejected: string): string {
    const now = this.#clock();
    if (tokenRefreshDue(this.#rule, now - this.#issuedAtMs, rejected === this.#bearer)) this.#refresh(now);
    return this.#bearer;
  }

  /** Milliseconds since the epoch when the current token was signed (its `iat`, before truncation). */
  get issuedAtMs(): number {
    return this.#issuedAtMs;
  }

  #refresh(now: number): void {
    this.#bearer = this.#mint(now);
    this.#issuedAtMs = now;
  }

  #mint(nowMs: number): string {
    return 'bearer ' + signWithHeader(this.#header, this.#key, this.#teamId, Math.floor(nowMs / 1000));
  }
}

function encodeHeader(keyId: string): string {
  return Buffer.from(JSON.stringify({ alg: 'ES256', kid: keyId })).toString('base64url');
}

function signWithHeader(header: string, key: KeyObject, teamId: string, issuedAt: number): string {
  const claims = Buffer.from(JSON.stringify({ iss: teamId, iat: issuedAt })).toString('base64url');
  const data = header + '.' + claims;
  const signature = sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
  return data + '.' + signature.toString('base64url');
}

function assertId(field: 'keyId' | 'teamId', value: string): void {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    const got = typeof value === 'string' ? `${value.length} characters` : typeof value;
    throw new CredentialsError(field, `must be 10 characters, A-Z or 0-9 (got ${got})`);
  }
}
