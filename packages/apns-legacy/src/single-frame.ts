/**
 * One legacy frame at a time: commands 0 (simple), 1 (enhanced) and 2 (framed), for callers that encode a
 * single notification. Each writes through a FrameEncoder sized to the frame, so every command's byte layout
 * exists once (frame-encoder.ts documents it); the batch paths are FrameEncoder's own.
 */
import { FrameEncoder } from './frame-encoder.js';
import { checkPayload, checkPayloadLimit, checkToken, checkUint32 } from './validation.js';
import {
  ENHANCED_OVERHEAD_BYTES,
  FRAME_OVERHEAD_BYTES,
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
