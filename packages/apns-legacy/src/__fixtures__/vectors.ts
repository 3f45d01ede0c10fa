/**
 * Byte vectors typed by hand from the layouts in docs/protocol/legacy-binary.md (never produced by our
 * encoders); the first ones are its "Test vectors".
 * Spaces separate fields; `bytes()` strips them.
 */

export const bytes = (spaced: string): Buffer => Buffer.from(spaced.replace(/\s+/g, ''), 'hex');

/** The test-vector token, 32 bytes. */
export const TOKEN = '00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0';
/** `{"aps":{"alert":"Hello"}}`, 25 bytes. */
export const PAYLOAD_JSON = '{"aps":{"alert":"Hello"}}';

/** Command 0 (simple), 62 bytes; `00 19` at offset 35. */
export const SIMPLE =
  '00 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
  '0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d';

/** Command 1 (enhanced), identifier 1, expiry 0, 70 bytes. */
export const ENHANCED =
  '01 00000001 00000000 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
  '0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d';

/** Command 2 (framed), identifier 1, expiry 0, priority 10, items in id order; 86 bytes, L = 0x51 = 81. */
export const FRAMED =
  '02 00000051 ' +
  '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
  '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d ' +
  '03 0004 00000001 ' +
  '04 0004 00000000 ' +
  '05 0001 0a';

/** Command 2, identifier 0xdeadbeef, expiry 1700000000 (0x6553f100), priority 5. */
export const FRAMED_DEADBEEF =
  '02 00000051 ' +
  '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
  '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d ' +
  '03 0004 deadbeef ' +
  '04 0004 6553f100 ' +
  '05 0001 05';

/** The FRAMED notification with its items shuffled: 5, 3, 2, 1, 4. */
export const FRAMED_SHUFFLED =
  '02 00000051 ' +
  '05 0001 0a ' +
  '03 0004 00000001 ' +
  '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d ' +
  '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
  '04 0004 00000000';

/** Command 2 with only items 1 and 2 (L = 35 + 28 = 63 = 0x3f): identifier 0, expiry 0, priority 10. */
export const FRAMED_MINIMAL =
  '02 0000003f ' +
  '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
  '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d';

/** Error response: status 8 (invalid token) for identifier 1. */
export const ERROR_INVALID_TOKEN = '08 08 00000001';
/** Status 10 (shutdown), identifier 42: the last one processed OK. */
export const ERROR_SHUTDOWN = '08 0a 0000002a';

/** Feedback tuple: timestamp 1700000000, TOKEN; 38 bytes. */
export const FEEDBACK_TUPLE =
  '6553f100 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0';
/** A second tuple: timestamp 1600000000 (0x5f5e1000), token 01..20. */
export const FEEDBACK_TUPLE_2 =
  '5f5e1000 0020 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';

/** Faults the server must answer, each with the status byte and the identifier to report. */
export const FAULTS = {
  unknownCommand: { hex: '07 00000001 00000000', status: 128, identifier: 0 },
  /** Command 1 with token length 33. */
  enhancedTokenSize: {
    hex: '01 00000009 00000000 0021 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f000 0019',
    status: 5,
    identifier: 9,
  },
  /** Command 0 with token length 0. */
  simpleNoToken: { hex: '00 0000 0019', status: 2, identifier: 0 },
  /** Command 2, identifier item first, then a 31-byte token (L = 7 + 34 + 28 = 69 = 0x45). */
  framedTokenSize: {
    hex:
      '02 00000045 03 0004 0000002a ' +
      '01 001f 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8 ' +
      '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d',
    status: 5,
    identifier: 42,
  },
  /** The same fault with the identifier item LAST: it must still be reported. */
  framedTokenSizeIdLast: {
    hex:
      '02 00000045 ' +
      '01 001f 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8 ' +
      '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d 03 0004 0000002a',
    status: 5,
    identifier: 42,
  },
  /** Command 2 with no token item (L = 7 + 28 = 35 = 0x23). */
  framedNoToken: {
    hex: '02 00000023 03 0004 00000007 02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d',
    status: 2,
    identifier: 7,
  },
  /** Command 2 with no payload item (L = 35 + 7 = 42 = 0x2a). */
  framedNoPayload: {
    hex: '02 0000002a 01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 03 0004 00000008',
    status: 4,
    identifier: 8,
  },
  /** Command 2 with priority 7 (L = 81). */
  framedBadPriority: {
    hex:
      '02 00000051 03 0004 00000003 04 0004 00000000 05 0001 07 ' +
      '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
      '02 0019 7b22617073223a7b22616c657274223a2248656c6c6f227d7d',
    status: 128,
    identifier: 3,
  },
  /** Command 2 with an unknown item 6 (L = 3 + 1 = 4 ... only the header matters), identifier absent. */
  framedUnknownItem: { hex: '02 00000004 06 0001 00', status: 128, identifier: 0 },
  /** Command 2 whose identifier item is 2 bytes (L = 5). */
  framedShortIdentifier: { hex: '02 00000005 03 0002 0001', status: 128, identifier: 0 },
  /** Command 2 with the token item given twice (L = 70 = 0x46). */
  framedDuplicateToken: {
    hex:
      '02 00000046 ' +
      '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0 ' +
      '01 0020 00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0',
    status: 128,
    identifier: 0,
  },
} as const;
