/**
 * Encoders for the legacy binary provider API, commands 0, 1 and 2 (docs/protocol/legacy-binary.md).
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
 * Every input is checked before a byte is committed; a fault throws ApnsValidationError naming the field.
 */
import { ApnsValidationError } from '@pushfleet/apns';
import { copyToken, decodeToken, viewOf, writeFrameHead, writeTrailer } from './frame-layout.js';
import { type HexKernels, hexKernels, STAGE_TARGET_BYTES, TOKEN_CHUNK } from './token-hex.js';
import { checkPayload, checkPayloadLimit, checkPriority, checkToken, checkUint32 } from './validation.js';
import {
  ENHANCED_OVERHEAD_BYTES,
  FRAME_OVERHEAD_BYTES,
  LEGACY_TOKEN_BYTES,
  LEGACY_TOKEN_HEX_CHARS,
  type LegacyPriority,
  SIMPLE_OVERHEAD_BYTES,
} from './wire.js';

/** One notification for the single-frame encoders. */
export interface LegacyNotification {
  /** Device token, 64 hex digits (either case). */
  readonly token: string;
  /** Serialized JSON; a string is encoded as UTF-8. */
  readonly payload: Uint8Array | string;
  /** Commands 1 and 2. @defaultValue 0 */
  readonly identifier?: number | undefined;
  /** Commands 1 and 2, UNIX seconds; 0 = try once. @defaultValue 0 */
  readonly expiry?: number | undefined;
  /** Command 2 only. @defaultValue 10 */
  readonly priority?: LegacyPriority | undefined;
}

export interface LegacyEncodeOptions {
  /** Payload limit: 2048 (iOS 8+), 4096 (VoIP certificates), 256 (before iOS 8). @defaultValue 2048 */
  readonly maxPayloadBytes?: number | undefined;
}

export interface FrameEncoderOptions extends LegacyEncodeOptions {
  /** Bytes preallocated; the buffer doubles when a write needs more. @defaultValue 65536 */
  readonly initialCapacity?: number | undefined;
  /** Identifier of the first frame; the counter wraps from 2^32-1 to 0. @defaultValue 1 */
  readonly firstIdentifier?: number | undefined;
}

export const DEFAULT_ENCODER_CAPACITY = 65_536;
/** Tokens hex-decoded per native call in the fallback batch paths (32 KiB of scratch). */
const HEX_CHUNK = 1024;
function toPayload(payload: Uint8Array | string): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}

/** Validates a notification's shared fields, returning the payload bytes. */
function checkCommon(n: LegacyNotification, options: LegacyEncodeOptions | undefined): Uint8Array {
  const max = checkPayloadLimit(options?.maxPayloadBytes);
  checkToken(n.token);
  const payload = toPayload(n.payload);
  checkPayload(payload, max);
  return payload;
}

/**
 * One frame from a FrameEncoder sized to it, so each command's layout is written in one place (the
 * encoder's `write*` methods). The encoder is dropped, so its take() view is the caller's for good.
 */
function single(bytes: number, options: LegacyEncodeOptions | undefined, firstIdentifier = 0): FrameEncoder {
  return new FrameEncoder({
    initialCapacity: bytes,
    maxPayloadBytes: options?.maxPayloadBytes,
    firstIdentifier,
  });
}

/** Command 0. */
export function encodeSimple(n: LegacyNotification, options?: LegacyEncodeOptions): Buffer {
  const payload = checkCommon(n, options);
  const enc = single(SIMPLE_OVERHEAD_BYTES + payload.length, options);
  enc.writeSimple(n.token, payload);
  return enc.take();
}

/** Command 1. */
export function encodeEnhanced(n: LegacyNotification, options?: LegacyEncodeOptions): Buffer {
  const payload = checkCommon(n, options);
  const id = n.identifier ?? 0;
  checkUint32(id, 'identifier');
  const enc = single(ENHANCED_OVERHEAD_BYTES + payload.length, options, id);
  enc.writeEnhanced(n.token, payload, n.expiry ?? 0);
  return enc.take();
}

/** Command 2 with all five items. */
export function encodeFrame(n: LegacyNotification, options?: LegacyEncodeOptions): Buffer {
  const payload = checkCommon(n, options);
  const id = n.identifier ?? 0;
  checkUint32(id, 'identifier');
  const enc = single(FRAME_OVERHEAD_BYTES + payload.length, options, id);
  enc.write(n.token, payload, n.expiry ?? 0, n.priority ?? 10);
  return enc.take();
}

/**
 * Throws naming the first token in [from, to) that is not a string of 64 chars (cheap; digits not checked).
 * Only strings pass, so the fallback's `join` never calls user code (a `toString`).
 */
function checkLengths(tokens: readonly string[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (typeof t !== 'string' || t.length !== LEGACY_TOKEN_HEX_CHARS) checkToken(t, `tokens[${i}]`);
  }
}

/** A batch decode failed: throws naming the first bad token in [from, to). */
function nameBadToken(tokens: readonly string[], from: number, to: number): never {
  for (let i = from; i < to; i++) checkToken(tokens[i], `tokens[${i}]`);
  throw new ApnsValidationError('tokens', `tokens[${from}..${to}) failed to decode as hex`);
}

/**
 * Lays out `frames` copies of the fan-out frame template (identifier and token left to the kernel) at the
 * start of the staging area, reusing what the previous fan-out left there when payload, expiry and
 * priority are the same. Returns the staging offset.
 */
function stageFanTemplate(
  hk: HexKernels,
  payload: Uint8Array,
  expiry: number,
  priority: number,
  frames: number,
): number {
  const n = payload.length;
  const size = FRAME_OVERHEAD_BYTES + n;
  const stage = hk.stage(frames * size);
  const mem = hk.mem;
  let have = hk.fanTemplateFrames;
  if (
    have > 0 &&
    (hk.fanTemplateSize !== size ||
      hk.fanTemplateTail !== expiry * 16 + priority ||
      Buffer.compare(payload, mem.subarray(stage + 43, stage + 43 + n)) !== 0)
  ) {
    have = 0;
  }
  if (have < 1) {
    writeFrameHead(hk.dv, stage, n);
    mem.set(payload, stage + 43);
    writeTrailer(hk.dv, stage + 43 + n, 0, expiry, priority);
    have = 1;
  }
  while (have < frames) {
    const m = Math.min(have, frames - have);
    mem.copyWithin(stage + have * size, stage, stage + m * size);
    have += m;
  }
  hk.fanTemplateFrames = have;
  hk.fanTemplateSize = size;
  hk.fanTemplateTail = expiry * 16 + priority;
  return stage;
}

/**
 * The hot-path batch encoder: writes many frames into ONE reused buffer and hands them out as a single
 * view for one socket write. Identifiers come from a 32-bit counter that wraps at 2^32.
 *
 * Buffer reuse rules:
 * - `take()` returns a view of the bytes written since the last take and resets the write position. The
 *   view is valid until the next write call (successful or not): later writes overwrite it. A socket may
 *   keep a written Buffer queued, so either wait for `socket.write`'s callback before the next write, or
 *   use `detach()`, which hands the bytes over for good and switches to a fresh buffer.
 * - Steady state allocates nothing per frame: the buffer grows (doubling) only when a write needs more.
 * - A write that throws commits nothing: position, frame count and identifier counter are unchanged. Batch
 *   writes (`writeFanOut`, `writeBatch`) are all-or-nothing.
 * - Payloads are copied in; the caller may reuse its payload Buffer after the call returns.
 */
export class FrameEncoder {
  private buf: Buffer;
  private dv: DataView;
  private pos = 0;
  private frames = 0;
  private nextId: number;
  private readonly maxPayload: number;
  /** Hex scratch of the fallback batch paths (no WebAssembly), allocated on first use. */
  private scratch: Buffer | undefined;
  private scratchView: DataView | undefined;

  constructor(options: FrameEncoderOptions = {}) {
    this.maxPayload = checkPayloadLimit(options.maxPayloadBytes);
    const first = options.firstIdentifier ?? 1;
    checkUint32(first, 'firstIdentifier');
    this.nextId = first;
    const cap = options.initialCapacity ?? DEFAULT_ENCODER_CAPACITY;
    if (!Number.isInteger(cap) || cap < 1) {
      throw new ApnsValidationError('initialCapacity', `must be a positive integer, got ${String(cap)}`);
    }
    this.buf = Buffer.allocUnsafeSlow(cap);
    this.dv = viewOf(this.buf);
  }

  /** Bytes written since the last take. */
  get byteLength(): number {
    return this.pos;
  }

  /** Frames written since the last take. */
  get frameCount(): number {
    return this.frames;
  }

  /** Current size of the reused buffer. */
  get capacity(): number {
    return this.buf.length;
  }

  /** The identifier the next frame will carry. */
  get nextIdentifier(): number {
    return this.nextId;
  }

  set nextIdentifier(id: number) {
    checkUint32(id, 'nextIdentifier');
    this.nextId = id;
  }

  /** The frames written so far as one view (valid until the next write), and reset the position. */
  take(): Buffer {
    const view = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.frames = 0;
    return view;
  }

  /** Like take(), but the returned bytes are never overwritten: the encoder moves to a fresh buffer. */
  detach(): Buffer {
    const view = this.take();
    this.buf = Buffer.allocUnsafeSlow(this.buf.length);
    this.dv = viewOf(this.buf);
    return view;
  }

  /** Drop what was written since the last take (the identifier counter is not rewound). */
  reset(): void {
    this.pos = 0;
    this.frames = 0;
  }

  /** Command 2 for one notification; returns its identifier. */
  write(token: string, payload: Uint8Array, expiry = 0, priority: LegacyPriority = 10): number {
    this.check(token, payload, expiry, priority);
    const n = payload.length;
    const p = this.reserve(FRAME_OVERHEAD_BYTES + n);
    const b = this.buf;
    if (decodeToken(b, p + 8, token) < 0) checkToken(token);
    writeFrameHead(this.dv, p, n);
    b.set(payload, p + 43);
    writeTrailer(this.dv, p + 43 + n, this.nextId, expiry, priority);
    return this.commit(p + FRAME_OVERHEAD_BYTES + n, 1);
  }

  /** Command 1 for one notification; returns its identifier. */
  writeEnhanced(token: string, payload: Uint8Array, expiry = 0): number {
    this.check(token, payload, expiry, 10);
    const n = payload.length;
    const p = this.reserve(ENHANCED_OVERHEAD_BYTES + n);
    const b = this.buf;
    if (decodeToken(b, p + 11, token) < 0) checkToken(token);
    b[p] = 1;
    this.dv.setUint32(p + 1, this.nextId);
    this.dv.setUint32(p + 5, expiry);
    b[p + 9] = 0;
    b[p + 10] = LEGACY_TOKEN_BYTES;
    b[p + 43] = n >>> 8;
    b[p + 44] = n;
    b.set(payload, p + 45);
    return this.commit(p + ENHANCED_OVERHEAD_BYTES + n, 1);
  }

  /** Command 0 for one notification (it carries no identifier; the counter does not move). */
  writeSimple(token: string, payload: Uint8Array): void {
    this.check(token, payload, 0, 10);
    const n = payload.length;
    const p = this.reserve(SIMPLE_OVERHEAD_BYTES + n);
    const b = this.buf;
    if (decodeToken(b, p + 3, token) < 0) checkToken(token);
    b[p] = 0;
    b[p + 1] = 0;
    b[p + 2] = LEGACY_TOKEN_BYTES;
    b[p + 35] = n >>> 8;
    b[p + 36] = n;
    b.set(payload, p + 37);
    this.pos = p + SIMPLE_OVERHEAD_BYTES + n;
    this.frames++;
  }

  /**
   * Command 2, one payload to many tokens (a fan-out). Frames carry consecutive identifiers (mod 2^32);
   * returns the first. All-or-nothing. The frame template (header, payload, trailer) stays laid out in the
   * staging area between calls with the same payload, so each chunk costs decoding its tokens and
   * identifiers in place (SIMD) plus one copy into this buffer.
   */
  writeFanOut(
    tokens: readonly string[],
    payload: Uint8Array,
    expiry = 0,
    priority: LegacyPriority = 10,
  ): number {
    checkPayload(payload, this.maxPayload);
    checkUint32(expiry, 'expiry');
    checkPriority(priority);
    const first = this.nextId;
    const k = tokens.length;
    if (k === 0) return first;
    const n = payload.length;
    const size = FRAME_OVERHEAD_BYTES + n;
    const start = this.reserve(size * k);
    const hk = hexKernels();
    if (hk === null) return this.fanOutNative(tokens, payload, expiry, priority, start);
    const chunk = Math.min(TOKEN_CHUNK, Math.max(1, Math.floor(STAGE_TARGET_BYTES / size)));
    const stage = stageFanTemplate(hk, payload, expiry, priority, Math.min(chunk, k));
    for (let c = 0; c < k; c += chunk) {
      const end = Math.min(k, c + chunk);
      if (!hk.load(tokens, c, end) || !hk.fan(end - c, stage + 8, size, 38 + n, (first + c) >>> 0)) {
        nameBadToken(tokens, c, end);
      }
      this.buf.set(hk.mem.subarray(stage, stage + (end - c) * size), start + c * size);
    }
    return this.commit(start + size * k, k);
  }

  /**
   * Command 2, a distinct pre-serialized payload per token (`payloads[i]` goes to `tokens[i]`).
   * Consecutive identifiers; returns the first. All-or-nothing. Frames are assembled chunk by chunk in the
   * staging area (tokens decoded in place with SIMD), then copied into this buffer.
   */
  writeBatch(
    tokens: readonly string[],
    payloads: readonly Uint8Array[],
    expiry = 0,
    priority: LegacyPriority = 10,
  ): number {
    const k = tokens.length;
    if (payloads.length !== k) {
      throw new ApnsValidationError('payloads', `has ${payloads.length} entries for ${k} tokens`);
    }
    checkUint32(expiry, 'expiry');
    checkPriority(priority);
    let total = 0;
    for (let i = 0; i < k; i++) {
      const payload = payloads[i]!;
      const n = payload?.length;
      if (!(n > 0 && n <= this.maxPayload) || !(payload instanceof Uint8Array)) {
        checkPayload(payload, this.maxPayload, `payloads[${i}]`);
      }
      total += FRAME_OVERHEAD_BYTES + n;
    }
    const first = this.nextId;
    const start = this.reserve(total);
    const hk = hexKernels();
    if (hk === null) return this.batchNative(tokens, payloads, expiry, priority, start, total);
    let p = start;
    for (let c = 0; c < k; ) {
      // A chunk: up to TOKEN_CHUNK frames and STAGE_TARGET_BYTES (at least one frame).
      const limit = Math.min(k, c + TOKEN_CHUNK);
      let end = c;
      let bytes = 0;
      while (end < limit) {
        const f = FRAME_OVERHEAD_BYTES + payloads[end]!.length;
        if (bytes + f > STAGE_TARGET_BYTES && end > c) break;
        bytes += f;
        end++;
      }
      const stage = hk.stage(bytes);
      hk.fanTemplateFrames = 0;
      if (!hk.load(tokens, c, end)) nameBadToken(tokens, c, end);
      const mem = hk.mem;
      const dv = hk.dv;
      const offsets = hk.offsets;
      let q = stage;
      let id = (first + c) >>> 0;
      for (let j = c; j < end; j++) {
        const payload = payloads[j]!;
        const n = payload.length;
        writeFrameHead(dv, q, n);
        offsets[j - c] = q + 8;
        mem.set(payload, q + 43);
        writeTrailer(dv, q + 43 + n, id, expiry, priority);
        id = (id + 1) >>> 0;
        q += FRAME_OVERHEAD_BYTES + n;
      }
      if (!hk.scatter(end - c)) nameBadToken(tokens, c, end);
      this.buf.set(mem.subarray(stage, q), p);
      p += q - stage;
      c = end;
    }
    return this.commit(start + total, k);
  }

  /** writeFanOut without WebAssembly: template copied in doubling blocks, one native hex decode per chunk. */
  private fanOutNative(
    tokens: readonly string[],
    payload: Uint8Array,
    expiry: number,
    priority: LegacyPriority,
    start: number,
  ): number {
    const first = this.nextId;
    const k = tokens.length;
    const n = payload.length;
    const size = FRAME_OVERHEAD_BYTES + n;
    const b = this.buf;
    const dv = this.dv;
    writeFrameHead(dv, start, n);
    b.set(payload, start + 43);
    writeTrailer(dv, start + 43 + n, 0, expiry, priority);
    for (let done = 1; done < k; done *= 2) {
      const m = Math.min(done, k - done);
      b.copyWithin(start + done * size, start, start + m * size);
    }
    for (let c = 0; c < k; c += HEX_CHUNK) {
      const end = Math.min(k, c + HEX_CHUNK);
      const s = this.decodeChunk(tokens, c, end);
      let p = start + c * size;
      let id = (first + c) >>> 0;
      for (let i = 0; i < (end - c) * LEGACY_TOKEN_BYTES; i += LEGACY_TOKEN_BYTES) {
        copyToken(s, i, dv, p + 8);
        dv.setUint32(p + 46 + n, id);
        id = (id + 1) >>> 0;
        p += size;
      }
    }
    return this.commit(start + size * k, k);
  }

  /** writeBatch without WebAssembly: one native hex decode per chunk, frames written in place. */
  private batchNative(
    tokens: readonly string[],
    payloads: readonly Uint8Array[],
    expiry: number,
    priority: LegacyPriority,
    start: number,
    total: number,
  ): number {
    const first = this.nextId;
    const k = tokens.length;
    let p = start;
    const b = this.buf;
    const dv = this.dv;
    for (let c = 0; c < k; c += HEX_CHUNK) {
      const end = Math.min(k, c + HEX_CHUNK);
      const s = this.decodeChunk(tokens, c, end);
      let id = (first + c) >>> 0;
      for (let j = c; j < end; j++) {
        const payload = payloads[j]!;
        const n = payload.length;
        writeFrameHead(dv, p, n);
        copyToken(s, (j - c) * LEGACY_TOKEN_BYTES, dv, p + 8);
        b.set(payload, p + 43);
        writeTrailer(dv, p + 43 + n, id, expiry, priority);
        id = (id + 1) >>> 0;
        p += FRAME_OVERHEAD_BYTES + n;
      }
    }
    return this.commit(start + total, k);
  }

  /**
   * Fallback: hex-decodes tokens[from..to) into the scratch with one native call and returns a view of it.
   * Every token must be exactly 64 chars and the whole run ASCII (a char above 0xff would be truncated to
   * a hex digit natively).
   */
  private decodeChunk(tokens: readonly string[], from: number, to: number): DataView {
    checkLengths(tokens, from, to);
    this.scratch ??= Buffer.allocUnsafeSlow(HEX_CHUNK * LEGACY_TOKEN_BYTES);
    this.scratchView ??= viewOf(this.scratch);
    const run = from === 0 && to === tokens.length ? tokens.join('') : tokens.slice(from, to).join('');
    const want = (to - from) * LEGACY_TOKEN_BYTES;
    const got = this.scratch.write(run, 0, want, 'hex');
    if (got !== want || run.length !== want * 2 || Buffer.byteLength(run, 'utf8') !== run.length) {
      nameBadToken(tokens, from, to);
    }
    return this.scratchView;
  }

  /**
   * Cheap shape checks of one notification; on any doubt, the full checks run and throw naming the field.
   * Token digits are checked while decoding (a bad digit poisons the decoded value).
   */
  private check(token: string, payload: Uint8Array, expiry: number, priority: number): void {
    const n = payload?.length;
    if (
      token?.length !== LEGACY_TOKEN_HEX_CHARS ||
      !(n > 0 && n <= this.maxPayload) ||
      !(payload instanceof Uint8Array) ||
      expiry >>> 0 !== expiry ||
      (priority !== 10 && priority !== 5)
    ) {
      checkToken(token);
      checkPayload(payload, this.maxPayload);
      checkUint32(expiry, 'expiry');
      checkPriority(priority);
    }
  }

  /** Makes room for `bytes` more and returns the write offset (not yet committed). */
  private reserve(bytes: number): number {
    const need = this.pos + bytes;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const grown = Buffer.allocUnsafeSlow(cap);
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
      this.dv = viewOf(grown);
    }
    return this.pos;
  }

  /** Advances the position and the identifier counter; returns the first identifier used. */
  private commit(end: number, count: number): number {
    const first = this.nextId;
    this.pos = end;
    this.frames += count;
    this.nextId = (first + count) >>> 0;
    return first;
  }
}
