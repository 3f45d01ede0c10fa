/**
 * A provider token shared by the whole fleet: one signed JWT per (team, key) in Redis, minted by exactly one process
 * at a time under a short lease and read by every other worker and session, so fifty pods present one token to APNs
 * and never draw 429 TooManyProviderTokenUpdates (fleets whose processes each mint their own token for one key have
 * hit it; Apple allows one token to be used from many servers).
 *
 *   KEYS   {pushfleet:token:<team>:<kid>}        JSON {"bearer":"bearer <jwt>","issuedAt":<ms>}
 *          {pushfleet:token:<team>:<kid>}:lease  owner id, SET NX PX leaseMs (the minter's lease)
 *
 * When to mint is @pushfleet/apns's one rule (`tokenRefreshDue`): once the stored token is `refreshAfterMs` old
 * (45 min by default here, inside Apple's 60), never sooner than `minRefreshIntervalMs` (20 min) after it was
 * issued, even after 403 ExpiredProviderToken. `bearer()` stays synchronous for the hot path: it returns the token
 * held in memory; a
 * background poll (every `pollIntervalMs`) adopts a newer token from Redis and, when the token is due, tries to
 * take the lease and mint. The mint itself is a compare-and-set script, so a token is never replaced by an older
 * one, whatever the timing.
 */

import { type KeyObject, randomUUID } from 'node:crypto';
import {
  type ProviderTokenOptions,
  type ProviderTokenSource,
  signProviderToken,
  type TokenRefreshRule,
  tokenRefreshDue,
  tokenRefreshRule,
} from '@pushfleet/apns';
import { queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

/** Re-mint once the shared token is this old (Apple rejects tokens over 60 minutes; clients refresh at 40-55). */
export const DEFAULT_SHARED_TOKEN_REFRESH_AFTER_MS = 45 * 60_000;
/** How often each process reads the shared token from Redis. */
export const DEFAULT_SHARED_TOKEN_POLL_MS = 10_000;
/** How long one process may hold the mint lease. */
export const DEFAULT_SHARED_TOKEN_LEASE_MS = 5_000;

/** The signing key and the refresh rules of a provider token ({@link ProviderTokenOptions}), plus Redis. */
export interface SharedProviderTokenOptions extends ProviderTokenOptions {
  readonly redis: RedisClient;
  /** @defaultValue {@link DEFAULT_SHARED_TOKEN_REFRESH_AFTER_MS} (45 minutes) */
  readonly refreshAfterMs?: number;
  /** Background poll period; 0 disables the timer (call `sync()` yourself, as tests do). @defaultValue 10 s */
  readonly pollIntervalMs?: number;
  /** @defaultValue {@link DEFAULT_SHARED_TOKEN_LEASE_MS} (5 s) */
  readonly leaseMs?: number;
  /** Told of each token this process puts in use, and of each sync that failed (the refresh metric). */
  readonly onRefresh?: (result: TokenRefreshResult) => void;
}

/**
 * `minted`: this process signed the token in use; `adopted`: it took a newer one another process stored;
 * `failed`: a read or mint did not complete (Redis unreachable, say); the held token stays in use.
 */
export type TokenRefreshResult = 'minted' | 'adopted' | 'failed';

const LEASE_WAIT_STEP_MS = 25;

interface StoredToken {
  readonly bearer: string;
  readonly issuedAt: number;
}

/**
 * KEYS[1] token, KEYS[2] lease; ARGV[1] new JSON, ARGV[2] its issuedAt, ARGV[3] lease owner.
 * Stores the token only while this caller holds the lease and the stored one is older; releases the lease.
 * Returns the stored JSON after the call (ours, or the newer one that was there).
 */
const STORE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local owner = redis.call('GET', KEYS[2])
if owner == ARGV[3] then
  redis.call('DEL', KEYS[2])
  local newer = false
  if current then
    local ok, parsed = pcall(cjson.decode, current)
    if ok and tonumber(parsed.issuedAt) and tonumber(parsed.issuedAt) >= tonumber(ARGV[2]) then newer = true end
  end
  if not newer then
    redis.call('SET', KEYS[1], ARGV[1])
    return ARGV[1]
  end
end
return current
`;

/** Start a shared token: reads (or mints) the current token before resolving, then keeps it fresh. */
export async function startSharedProviderToken(
  options: SharedProviderTokenOptions,
): Promise<SharedProviderToken> {
  const source = new SharedProviderToken(options);
  await source.sync();
  if (source.current === undefined) {
    // Another process holds the lease: wait for its token.
    const deadline = source.now() + 4 * (options.leaseMs ?? DEFAULT_SHARED_TOKEN_LEASE_MS);
    while (source.current === undefined && source.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await source.sync();
    }
    if (source.current === undefined) throw new Error('shared provider token: no token appeared in Redis');
  }
  source.startPolling();
  return source;
}

export class SharedProviderToken implements ProviderTokenSource, AsyncDisposable {
  readonly #redis: RedisClient;
  readonly #key: KeyObject;
  readonly #keyId: string;
  readonly #teamId: string;
  readonly #clock: () => number;
  readonly #rule: TokenRefreshRule;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #tokenKey: string;
  readonly #leaseKey: string;
  readonly #owner = randomUUID();
  readonly #onRefresh: ((result: TokenRefreshResult) => void) | undefined;
  #current: StoredToken | undefined;
  /** A bearer APNs rejected as expired: mint as soon as the interval allows. */
  #rejected: string | undefined;
  #syncing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #mints = 0;
  #lastSyncAt = Number.NEGATIVE_INFINITY;

  /** Prefer {@link startSharedProviderToken}, which resolves once a token is held. */
  constructor(options: SharedProviderTokenOptions) {
    this.#redis = options.redis;
    this.#key = options.key;
    this.#keyId = options.keyId;
    this.#teamId = options.teamId;
    this.#clock = options.clock ?? Date.now;
    this.#rule = tokenRefreshRule(options, DEFAULT_SHARED_TOKEN_REFRESH_AFTER_MS);
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_SHARED_TOKEN_POLL_MS;
    this.#leaseMs = options.leaseMs ?? DEFAULT_SHARED_TOKEN_LEASE_MS;
    this.#onRefresh = options.onRefresh;
    this.#tokenKey = queueKeys.providerToken(options.teamId, options.keyId);
    this.#leaseKey = queueKeys.providerTokenLease(options.teamId, options.keyId);
    // Sign once up front so a bad key or id fails here, not on the first push.
    signProviderToken({ key: this.#key, keyId: this.#keyId, teamId: this.#teamId, issuedAt: 0 });
  }

  /** The held token, `bearer <jwt>`. Synchronous: never waits for Redis. */
  bearer(): string {
    const current = this.#current;
    if (current === undefined)
      throw new Error('shared provider token: not started (use startSharedProviderToken)');
    const now = this.#clock();
    // Due: look in Redis in the background, at most once a second whatever the request rate.
    if (tokenRefreshDue(this.#rule, now - current.issuedAt, false) && now - this.#lastSyncAt >= 1000) {
      this.#lastSyncAt = now;
      void this.sync().catch(() => {});
    }
    return current.bearer;
  }

  /** See `ProviderTokenSource.refreshAfterRejection`: schedules a shared refresh, returns the held token. */
  refreshAfterRejection(rejected: string): string {
    if (this.#current !== undefined && rejected === this.#current.bearer) {
      this.#rejected = rejected;
      void this.sync().catch(() => {});
    }
    return this.bearer();
  }

  /** The held token and when it was issued, if any. */
  get current(): StoredToken | undefined {
    return this.#current;
  }

  /** Tokens this process minted (tests, metrics). */
  get mints(): number {
    return this.#mints;
  }

  now(): number {
    return this.#clock();
  }

  /** Read the shared token; mint under the lease when it is missing or due. One at a time per process. */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync()
      .catch((error: unknown) => {
        this.#onRefresh?.('failed');
        throw error;
      })
      .finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  startPolling(): void {
    if (this.#pollMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.sync().catch(() => {}), this.#pollMs);
    this.#timer.unref();
  }

  close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#syncing?.catch(() => {}) ?? Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #sync(): Promise<void> {
    const stored = parse(await this.#redis.get(this.#tokenKey));
    if (stored !== undefined) this.#adopt(stored);
    if (!this.#due(stored)) return;
    const leased = await this.#redis.set(this.#leaseKey, this.#owner, 'PX', this.#leaseMs, 'NX');
    if (leased !== 'OK') {
      // Another process is minting: pick its token up as soon as it lands (bounded by the lease).
      const before = this.#current?.issuedAt;
      for (let waited = 0; waited < this.#leaseMs; waited += LEASE_WAIT_STEP_MS) {
        await new Promise((resolve) => setTimeout(resolve, LEASE_WAIT_STEP_MS));
        const landed = parse(await this.#redis.get(this.#tokenKey));
        if (landed !== undefined && landed.issuedAt !== before) {
          this.#adopt(landed);
          return;
        }
        if ((await this.#redis.exists(this.#leaseKey)) === 0) return;
      }
      return;
    }
    // Under the lease: look again (another process may have stored a token since our read).
    const again = parse(await this.#redis.get(this.#tokenKey));
    if (again !== undefined) this.#adopt(again);
    if (!this.#due(again)) {
      await this.#redis.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        1,
        this.#leaseKey,
        this.#owner,
      );
      return;
    }
    const issuedAt = this.#clock();
    const jwt = signProviderToken({
      key: this.#key,
      keyId: this.#keyId,
      teamId: this.#teamId,
      issuedAt: Math.floor(issuedAt / 1000),
    });
    const json = JSON.stringify({ bearer: `bearer ${jwt}`, issuedAt } satisfies StoredToken);
    const result = (await this.#redis.eval(
      STORE_SCRIPT,
      2,
      this.#tokenKey,
      this.#leaseKey,
      json,
      String(issuedAt),
      this.#owner,
    )) as string | null;
    if (result === json) this.#mints++;
    const after = parse(result);
    if (after !== undefined) this.#adopt(after, result === json ? 'minted' : 'adopted');
  }

  /** Is a new token needed, given what Redis holds? */
  #due(stored: StoredToken | undefined): boolean {
    if (stored === undefined) return true;
    const rejected = this.#rejected !== undefined && this.#rejected === stored.bearer;
    return tokenRefreshDue(this.#rule, this.#clock() - stored.issuedAt, rejected);
  }

  /** Put `stored` in use when it is newer than the held token; `how` it came, for the refresh metric. */
  #adopt(stored: StoredToken, how: 'minted' | 'adopted' = 'adopted'): void {
    if (this.#current === undefined || stored.issuedAt > this.#current.issuedAt) {
      this.#current = stored;
      this.#onRefresh?.(how);
    }
    if (this.#rejected !== undefined && this.#rejected !== this.#current.bearer) this.#rejected = undefined;
  }
}

function parse(raw: string | null): StoredToken | undefined {
  if (raw === null) return undefined;
  try {
    const v = JSON.parse(raw) as { bearer?: unknown; issuedAt?: unknown };
    if (typeof v.bearer === 'string' && typeof v.issuedAt === 'number')
      return { bearer: v.bearer, issuedAt: v.issuedAt };
  } catch {
    // A foreign value: treated as missing, and replaced by the next mint.
  }
  return undefined;
}
