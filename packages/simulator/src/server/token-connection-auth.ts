/**
 * Provider-token authentication of one token connection: the auth stage (5) of request-validator.ts.
 *
 *   no authorization / not "bearer <jwt>"               → 403 MissingProviderToken
 *   malformed, alg, kid, iss, signature (see verifier)   → 403 InvalidProviderToken
 *   iat more than `clockSkewMs` in the future            → 403 InvalidProviderToken   [Ours]
 *   iat older than `maxAgeMs` (3600 s)                   → 403 ExpiredProviderToken
 *   key scoped to the other environment                  → 403 BadEnvironmentKeyIdInToken
 *   a second team on the connection                      → 403 InvalidProviderToken   [Seen]
 *   a key unrelated to the topic-scoped key(s) bound     → 403 UnrelatedKeyIdInToken
 *   a new token < `updateIntervalMs` after the last new  → 429 TooManyProviderTokenUpdates
 *
 * Verification results are cached by token string, so ES256 runs once per token per connection. A token
 * once accepted stays accepted on the connection (until it expires); only a never-seen token is an update.
 */
import type { Reason } from '@pushfleet/apns';
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import type { KeyStore, RegisteredKey } from './key-store.js';
import { type VerifiedToken, verifyProviderToken } from './provider-token-verifier.js';

export interface TokenAuthConfig {
  readonly keys: KeyStore;
  readonly environment: CertificateEnvironment;
  readonly maxAgeMs: number;
  readonly clockSkewMs: number;
  readonly updateIntervalMs: number;
  /** Called with each token the first time a connection accepts it (the recorder counts distinct tokens). */
  readonly onTokenAccepted?: ((token: string) => void) | undefined;
}

const CACHE_LIMIT = 64;

export class TokenConnectionAuth {
  readonly #config: TokenAuthConfig;
  readonly #verified = new Map<string, VerifiedToken>();
  readonly #accepted = new Set<string>();
  readonly #boundKeys: RegisteredKey[] = [];
  #teamId: string | undefined;
  #lastNewTokenAt = Number.NEGATIVE_INFINITY;
  /** The last accepted `authorization` value and its key: the common case is the same header every request. */
  #lastAuthorization: string | undefined;
  #lastKey: RegisteredKey | undefined;
  #lastIatMs = 0;

  constructor(config: TokenAuthConfig) {
    this.#config = config;
  }

  /** Team bound to the connection by its first valid token. */
  get teamId(): string | undefined {
    return this.#teamId;
  }

  /** The key of a valid token, or the reason the request is refused. */
  authenticate(authorization: string | undefined, nowMs: number): RegisteredKey | Reason {
    if (authorization === this.#lastAuthorization && this.#lastKey !== undefined) {
      if (nowMs - this.#lastIatMs <= this.#config.maxAgeMs) return this.#lastKey;
    }
    const result = this.#authenticate(authorization, nowMs);
    if (typeof result !== 'string') {
      this.#lastAuthorization = authorization;
      this.#lastKey = result;
    }
    return result;
  }

  #authenticate(authorization: string | undefined, nowMs: number): RegisteredKey | Reason {
    if (authorization === undefined || authorization.length < 8) return 'MissingProviderToken';
    const scheme = authorization.slice(0, 7);
    if (scheme !== 'bearer ' && scheme.toLowerCase() !== 'bearer ') return 'MissingProviderToken';
    const token = authorization.slice(7).trim();
    if (token.length === 0) return 'MissingProviderToken';

    let verified = this.#verified.get(token);
    if (verified === undefined) {
      verified = verifyProviderToken(token, this.#config.keys);
      // Only successes are cached: a key registered later (sim.keys.add) makes the same token valid.
      if (verified.ok) {
        if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
        this.#verified.set(token, verified);
      }
    }
    if (!verified.ok) return 'InvalidProviderToken';
    const { key, iatMs } = verified;
    if (iatMs > nowMs + this.#config.clockSkewMs) return 'InvalidProviderToken';
    if (nowMs - iatMs > this.#config.maxAgeMs) return 'ExpiredProviderToken';
    if (key.environment !== undefined && key.environment !== this.#config.environment) {
      return 'BadEnvironmentKeyIdInToken';
    }
    if (this.#teamId !== undefined && key.teamId !== this.#teamId) return 'InvalidProviderToken';
    if (!this.#boundKeys.includes(key) && this.#boundKeys.some((bound) => !mayShareConnection(bound, key))) {
      return 'UnrelatedKeyIdInToken';
    }
    if (!this.#accepted.has(token)) {
      if (this.#accepted.size > 0 && nowMs - this.#lastNewTokenAt < this.#config.updateIntervalMs) {
        return 'TooManyProviderTokenUpdates';
      }
      if (this.#accepted.size >= CACHE_LIMIT) this.#accepted.clear();
      this.#accepted.add(token);
      this.#lastNewTokenAt = nowMs;
      this.#config.onTokenAccepted?.(token);
    }
    this.#teamId = key.teamId;
    if (!this.#boundKeys.includes(key)) this.#boundKeys.push(key);
    this.#lastIatMs = iatMs;
    return key;
  }
}

/** Team-scoped keys of one team share connections; a topic-scoped key only with its related key. */
function mayShareConnection(a: RegisteredKey, b: RegisteredKey): boolean {
  if (a.topics === undefined && b.topics === undefined) return true;
  return a.relatedKeyId === b.keyId || b.relatedKeyId === a.keyId;
}
