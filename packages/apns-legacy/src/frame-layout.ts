/**
 * The byte layout of the legacy binary provider API, commands 0, 1 and 2 (docs/protocol/legacy-binary.md),
 * and the helpers that write a frame's fixed parts.
 * Unsigned big-endian throughout.
 *
 * Command 0, simple (37 + N bytes):
 *   off  size  field
 *   0    1     command 0x00
 *   1    2     token length = 32
 *   3    32    device token (binary)
 *   35   2     payload length N
 *   37   N     payload (UTF-8 JSON, not NUL-terminated)
 *
 * Command 1, enhanced (45 + N bytes):
 *   0    1     command 0x01
 *   1    4     identifier (echoed in an error response)
 *   5    4     expiry, UNIX seconds (0 = try once, do not store)
 *   9    2     token length = 32
 *   11   32    device token
 *   43   2     payload length N
 *   45   N     payload
 *
 * Command 2, framed (61 + N bytes; we always write all five items, in id order):
 *   0    1     command 0x02
 *   1    4     frame length L = 56 + N
 *   5    3     item 1 header: 01 00 20        8    32  device token
 *   40   3     item 2 header: 02 NN NN        43   N   payload
 *   43+N 3     item 3 header: 03 00 04        46+N 4   identifier
 *   50+N 3     item 4 header: 04 00 04        53+N 4   expiration
 *   57+N 3     item 5 header: 05 00 01        60+N 1   priority (10 or 5)
 *
 * The writers below put down a frame's fixed parts. No checks here: callers validate first. Shared by the
 * single-frame encoders and FrameEncoder. Multi-byte fields go through a DataView (big-endian by default),
 * which V8 compiles to single unaligned stores.
 *
 *   off  0       1..4  5..7      8..39     40..42     43..      43+N..           50+N..            57+N..
 *        02    | L:4 | 01 00 20 | token:32 | 02 NN NN | payload | 03 00 04 id:4 | 04 00 04 exp:4 | 05 00 01 prio
 *        `---- writeFrameHead (0..7 and 40..42) ----'            `------- writeTrailer (18 bytes) --------'
 */
import { HEX_NIBBLE } from './validation.js';
import { LEGACY_TOKEN_HEX_CHARS } from './wire.js';

/** A DataView over exactly `b`'s bytes. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Decodes 64 hex digits into dst[p..p+32). Returns a negative number if any digit is not hex (the bytes
 * written are then garbage; callers only ever decode into space they have not committed).
 */
export function decodeToken(dst: Uint8Array, p: number, hex: string): number {
  let bad = 0;
  for (let i = 0; i < LEGACY_TOKEN_HEX_CHARS; i += 2) {
    const v = (HEX_NIBBLE[hex.charCodeAt(i)]! << 4) | HEX_NIBBLE[hex.charCodeAt(i + 1)]!;
    bad |= v;
    dst[p++] = v;
  }
  return bad;
}

/** Command-2 header and the item 1 and item 2 headers (bytes 0..7 and 40..42); `n` is the payload length. */
export function writeFrameHead(dv: DataView, p: number, n: number): void {
  const len = 56 + n; // < 2^24, so the frame length's top byte is 0
  dv.setUint32(p, 0x0200_0000 | (len >>> 8));
  dv.setUint32(p + 4, (((len & 0xff) << 24) | 0x01_0020) >>> 0);
  dv.setUint8(p + 40, 2);
  dv.setUint16(p + 41, n);
}

/** Items 3, 4 and 5 (18 bytes) at p: `03 00 04 id | 04 00 04 expiry | 05 00 01 priority`. */
export function writeTrailer(dv: DataView, p: number, id: number, expiry: number, priority: number): void {
  dv.setUint32(p, 0x0300_0400 | (id >>> 24));
  dv.setUint32(p + 4, ((id << 8) | 4) >>> 0);
  dv.setUint32(p + 8, 0x0004_0000 | (expiry >>> 16));
  dv.setUint32(p + 12, (((expiry & 0xffff) << 16) | 0x0500) >>> 0);
  dv.setUint16(p + 16, 0x0100 | priority);
}

/** 32 token bytes from src[i..] to dst[p..], as eight 4-byte moves. */
export function copyToken(src: DataView, i: number, dst: DataView, p: number): void {
  dst.setUint32(p, src.getUint32(i));
  dst.setUint32(p + 4, src.getUint32(i + 4));
  dst.setUint32(p + 8, src.getUint32(i + 8));
  dst.setUint32(p + 12, src.getUint32(i + 12));
  dst.setUint32(p + 16, src.getUint32(i + 16));
  dst.setUint32(p + 20, src.getUint32(i + 20));
  dst.setUint32(p + 24, src.getUint32(i + 24));
  dst.setUint32(p + 28, src.getUint32(i + 28));
}
