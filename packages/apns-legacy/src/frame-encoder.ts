/**
 * The batch encoder of the legacy binary provider API: many frames into one reused buffer, for one socket
 * write. The byte layout of commands 0, 1 and 2 is documented in frame-layout.ts; single frames are
 * single-frame.ts. Every input is checked before a byte is committed; a fault throws ApnsValidationError
 * naming the field.
 */
import { ApnsValidationError } from '@pushfleet/apns';
import { checkLengths, nameBadToken, stageFanTemplate } from './batch-staging.js';
import { copyToken, decodeToken, viewOf, writeFrameHead, writeTrailer } from './frame-layout.js';
import type { LegacyEncodeOptions } from './single-frame.js';
import { hexKernels, STAGE_TARGET_BYTES, TOKEN_CHUNK } from './token-hex.js';
import { checkPayload, checkPayloadLimit, checkPriority, checkToken, checkUint32 } from './validation.js';
import {
  ENHANCED_OVERHEAD_BYTES,
  FRAME_OVERHEAD_BYTES,
  LEGACY_TOKEN_BYTES,
  LEGACY_TOKEN_HEX_CHARS,
  type LegacyPriority,
  SIMPLE_OVERHEAD_BYTES,
} from './wire.js';

export interface FrameEncoderOptions extends LegacyEncodeOptions {
  /** Bytes preallocated; the buffer doubles when a write needs more. @defaultValue 65536 */
  readonly initialCapacity?: number | undefined;
  /** Identifier of the first frame; the counter wraps from 2^32-1 to 0. @defaultValue 1 */
  readonly firstIdentifier?: number | undefined;
}

export const DEFAULT_ENCODER_CAPACITY = 65_536;
/** Tokens hex-decoded per native call in the fallback batch paths (32 KiB of scratch). */
const HEX_CHUNK = 1024;

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
