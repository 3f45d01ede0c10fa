/**
 * Options of `startLegacyGateway`, every field optional; defaults in
 * `DEFAULT_LEGACY_GATEWAY_OPTIONS` and, for those both legacy services take, in legacy-service.ts.
 * Behaviour Apple leaves open is tagged [Ours] and configurable.
 */
import type { RecordMode } from '../server/record-log.js';
import type { LegacyServiceOptions } from './legacy-service.js';

/** Forced errors, for the resend tests. Change them on a running gateway with `configure()`. */
export interface LegacyFaults {
  /**
   * [Ours] Answer every Nth notification the gateway reads (counted over all connections, resends included)
   * with `rejectStatus` (8, InvalidToken, by default) for its identifier, then close. 0 = off. @defaultValue 0
   */
  readonly rejectEvery: number;
  /**
   * [Ours] After N notifications on one connection, answer status 10 (Shutdown) with the Nth one's
   * identifier (the last processed OK) and close; every connection gets N. 0 = off. @defaultValue 0
   */
  readonly shutdownAfter: number;
  /**
   * [Ours] The status byte `rejectEvery` answers with: 8 by default; any other status byte of Apple's table
   * (1 processing error, 3 missing topic, 6 invalid topic size, 255 unknown...) lets a client's handling of
   * it be tested.
   * @defaultValue 8
   */
  readonly rejectStatus: number;
}

export interface LegacyGatewayOptions extends LegacyServiceOptions {
  /**
   * Payload limit: 2048 for iOS 8+, 256 before [Apple], 4096 for VoIP [Seen]. Longer -> status 7.
   * @defaultValue 2048
   */
  readonly maxPayloadBytes?: number | undefined;
  /** @defaultValue `{ rejectEvery: 0, shutdownAfter: 0, rejectStatus: 8 }` */
  readonly faults?: Partial<LegacyFaults> | undefined;
  /** `all` keeps every notification; `counters` only counts. @defaultValue `'all'` */
  readonly record?: RecordMode | undefined;
  /** Records kept in `all` mode (oldest dropped first). @defaultValue 1_000_000 */
  readonly recordLimit?: number | undefined;
  /**
   * [Ours] After an error response the gateway ignores every further byte and closes; a client that
   * does not close its side is destroyed after this long. @defaultValue 1000
   */
  readonly lingerMs?: number | undefined;
  /** The clock, ms since the epoch. @defaultValue `Date.now` */
  readonly now?: (() => number) | undefined;
}

/** Defaults of the gateway's own options (host, port and environment: LegacyServiceOptions). */
export const DEFAULT_LEGACY_GATEWAY_OPTIONS = {
  maxPayloadBytes: 2048,
  rejectEvery: 0,
  shutdownAfter: 0,
  rejectStatus: 8,
  record: 'all',
  recordLimit: 1_000_000,
  lingerMs: 1000,
} as const;

/** Checks a fault setting: a non-negative integer. */
export function checkFaults(faults: Partial<LegacyFaults>): void {
  for (const field of ['rejectEvery', 'shutdownAfter'] as const) {
    const v = faults[field];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new TypeError(`${field}: must be a non-negative integer (0 = off), got ${String(v)}`);
    }
  }
  const status = faults.rejectStatus;
  if (status !== undefined && (!Number.isInteger(status) || status < 0 || status > 255 || status === 10)) {
    throw new TypeError(
      `rejectStatus: must be a status byte 0-255 other than 10 (use shutdownAfter), got ${String(status)}`,
    );
  }
}
