/**
 * What the batch encoders (FrameEncoder#writeFanOut, #writeBatch) do before and around the SIMD hex kernel:
 * cheap token checks that name the bad index, and the staged fan-out frame template the kernel fills in.
 */
import { ApnsValidationError } from '@pushfleet/apns';
import { writeFrameHead, writeTrailer } from './frame-layout.js';
import type { HexKernels } from './token-hex.js';
import { checkToken } from './validation.js';
import { FRAME_OVERHEAD_BYTES, LEGACY_TOKEN_HEX_CHARS } from './wire.js';

/**
 * Throws naming the first token in [from, to) that is not a string of 64 chars (cheap; digits not checked).
 * Only strings pass, so the fallback's `join` never calls user code (a `toString`).
 */
export function checkLengths(tokens: readonly string[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (typeof t !== 'string' || t.length !== LEGACY_TOKEN_HEX_CHARS) checkToken(t, `tokens[${i}]`);
  }
}

/** A batch decode failed: throws naming the first bad token in [from, to). */
export function nameBadToken(tokens: readonly string[], from: number, to: number): never {
  for (let i = from; i < to; i++) checkToken(tokens[i], `tokens[${i}]`);
  throw new ApnsValidationError('tokens', `tokens[${from}..${to}) failed to decode as hex`);
}

/**
 * Lays out `frames` copies of the fan-out frame template (identifier and token left to the kernel) at the
 * start of the staging area, reusing what the previous fan-out left there when payload, expiry and
 * priority are the same. Returns the staging offset.
 */
export function stageFanTemplate(
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
