/**
 * Constants of the legacy binary provider API (Apple's "Binary Provider API" page, summarised in
 * docs/protocol/legacy-binary.md). All multi-byte integers on this wire are unsigned big-endian.
 *
 *   command 0  | 00 | tlen:2 | token:32 | plen:2 | payload |                           37 + N bytes
 *   command 1  | 01 | id:4 | expiry:4 | tlen:2 | token:32 | plen:2 | payload |        45 + N bytes
 *   command 2  | 02 | L:4 | items... (item = id:1 | len:2 | data)                     61 + N bytes (all 5 items)
 *   error      | 08 | status:1 | id:4 |                                                6 bytes
 *   feedback   | time_t:4 | tlen:2 | token |                                           6 + tlen bytes
 */

/** Command bytes. */
export const LEGACY_COMMANDS = {
  simple: 0,
  enhanced: 1,
  framed: 2,
  errorResponse: 8,
} as const;
export type LegacyCommand = (typeof LEGACY_COMMANDS)[keyof typeof LEGACY_COMMANDS];

/** Item ids of a command-2 frame. */
export const LEGACY_ITEMS = {
  token: 1,
  payload: 2,
  identifier: 3,
  expiration: 4,
  priority: 5,
} as const;
export type LegacyItem = (typeof LEGACY_ITEMS)[keyof typeof LEGACY_ITEMS];

/** Priorities a command-2 frame may carry (item 5): 10 send now, 5 power-conserving. */
export const LEGACY_PRIORITIES = [10, 5] as const;
export type LegacyPriority = (typeof LEGACY_PRIORITIES)[number];

/** A device token is 32 bytes on the binary wire (Binary Provider API, Table A-3), 64 hex digits as text. */
export const LEGACY_TOKEN_BYTES = 32;
export const LEGACY_TOKEN_HEX_CHARS = 64;

/**
 * Payload limits of the binary interface: 256 bytes before iOS 8 [Apple], 4096 for VoIP certificates [Seen];
 * the iOS 8+ default is MAX_LEGACY_PAYLOAD_BYTES (2048) [Apple].
 */
export const LEGACY_PRE_IOS8_PAYLOAD_BYTES = 256;
export const LEGACY_VOIP_PAYLOAD_BYTES = 4096;

/** Identifiers, expiries and timestamps are 32-bit unsigned. */
export const LEGACY_MAX_UINT32 = 0xffff_ffff;

/** Fixed sizes, derived from the layouts above. */
export const SIMPLE_OVERHEAD_BYTES = 37;
export const ENHANCED_OVERHEAD_BYTES = 45;
/** 5-byte frame header + 3 + 32 (token) + 3 (payload header) + 7 (id) + 7 (expiry) + 4 (priority). */
export const FRAME_OVERHEAD_BYTES = 61;
export const ERROR_RESPONSE_BYTES = 6;
export const FEEDBACK_HEADER_BYTES = 6;
