/**
 * The legacy error-response packet: APNs writes one and closes the connection, and everything written after
 * the notification it names is discarded [Apple].
 *
 *   off  size  field
 *   0    1     command 0x08
 *   1    1     status (see LEGACY_STATUSES)
 *   2    4     identifier, the 4 bytes as the provider sent them (a big-endian counter by convention)
 *
 * Vector, status 8 for identifier 1: `08 08 00 00 00 01`.
 *
 * Status 10 (shutdown) is special: the identifier is the last notification processed OK, not a failed one.
 */

import type { Action } from '@pushfleet/apns';
import { ApnsValidationError, legacyStatusInfo, TransportError } from '@pushfleet/apns';
import { checkUint32 } from './validation.js';
import { ERROR_RESPONSE_BYTES, LEGACY_COMMANDS } from './wire.js';

export interface LegacyErrorResponse {
  /** The status byte. */
  readonly status: number;
  /** The identifier read as a big-endian unsigned 32-bit number. */
  readonly identifier: number;
  /** The identifier's 4 bytes exactly as received (a copy). */
  readonly identifierBytes: Buffer;
  /** The status' row of LEGACY_STATUSES (name, action, meaning); unknown bytes map to action `retry`. */
  readonly info: { readonly name: string; readonly action: Action; readonly meaning: string };
}

/**
 * Streaming decoder of error-response packets. Feed it whatever the socket delivers, split anywhere; each
 * call returns the packets completed by that chunk. A first byte other than 0x08 is a protocol error: it
 * throws TransportError('PROTOCOL') and the decoder stays failed (every later push throws too).
 */
export class ErrorResponseDecoder {
  private readonly partial = Buffer.alloc(ERROR_RESPONSE_BYTES);
  private have = 0;
  private failure: TransportError | undefined;

  /** Bytes of an incomplete packet held back. */
  get pendingBytes(): number {
    return this.have;
  }

  push(chunk: Uint8Array): LegacyErrorResponse[] {
    if (this.failure) throw this.failure;
    const out: LegacyErrorResponse[] = [];
    for (let i = 0; i < chunk.length; ) {
      if (this.have === 0 && chunk[i] !== LEGACY_COMMANDS.errorResponse) {
        this.failure = new TransportError(
          'PROTOCOL',
          `legacy error response: expected command 0x08, got 0x${chunk[i]!.toString(16).padStart(2, '0')}`,
        );
        throw this.failure;
      }
      const take = Math.min(ERROR_RESPONSE_BYTES - this.have, chunk.length - i);
      this.partial.set(chunk.subarray(i, i + take), this.have);
      this.have += take;
      i += take;
      if (this.have === ERROR_RESPONSE_BYTES) {
        out.push(decodeErrorResponse(this.partial));
        this.have = 0;
      }
    }
    return out;
  }
}

/** Decodes one complete 6-byte packet (throws TransportError('PROTOCOL') on a wrong command or size). */
export function decodeErrorResponse(packet: Uint8Array): LegacyErrorResponse {
  if (packet.length !== ERROR_RESPONSE_BYTES || packet[0] !== LEGACY_COMMANDS.errorResponse) {
    throw new TransportError('PROTOCOL', 'legacy error response: not a 6-byte 0x08 packet');
  }
  const status = packet[1]!;
  const identifierBytes = Buffer.from(packet.subarray(2, 6));
  return {
    status,
    identifier: identifierBytes.readUInt32BE(0),
    identifierBytes,
    info: legacyStatusInfo(status),
  };
}

/**
 * Encodes an error response (the simulator's side). `identifier` is a number (written big-endian) or the
 * 4 raw bytes the provider sent, echoed verbatim.
 */
export function encodeErrorResponse(status: number, identifier: number | Uint8Array): Buffer {
  if (!Number.isInteger(status) || status < 0 || status > 255) {
    throw new ApnsValidationError('status', `must be a byte (0..255), got ${String(status)}`);
  }
  const b = Buffer.alloc(ERROR_RESPONSE_BYTES);
  b[0] = LEGACY_COMMANDS.errorResponse;
  b[1] = status;
  if (typeof identifier === 'number') {
    checkUint32(identifier, 'identifier');
    b.writeUInt32BE(identifier, 2);
  } else {
    if (identifier.length !== 4) {
      throw new ApnsValidationError('identifier', `must be 4 bytes, got ${identifier.length}`);
    }
    b.set(identifier, 2);
  }
  return b;
}
