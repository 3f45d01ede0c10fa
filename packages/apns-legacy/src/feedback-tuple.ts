/**
 * Feedback-service tuples (docs/protocol/legacy-binary.md, "Feedback service"). The server sends a sequence
 * of them, then EOF.
 *
 *   off  size  field
 *   0    4     timestamp: time_t, seconds since 1970-01-01 UTC, when APNs found the app gone
 *   4    2     token length (32 in practice)
 *   6    len   device token, binary
 *
 * Vector: timestamp 1700000000, a 32-byte token -> 38 bytes starting `65 53 f1 00 00 20`.
 * Tuples straddle TCP reads [Seen]: the decoder buffers until 6 + length bytes are present.
 */
import { ApnsValidationError, TransportError } from '@pushfleet/apns';
import { ByteQueue } from './byte-queue.js';
import { checkUint32, isHex } from './validation.js';
import { FEEDBACK_HEADER_BYTES } from './wire.js';

export interface FeedbackTuple {
  /** Seconds since the epoch (time_t). */
  readonly timestamp: number;
  /** Device token, lowercase hex. */
  readonly token: string;
}

/** Streaming decoder: push chunks as they arrive, split anywhere; call `end()` at EOF. */
export class FeedbackDecoder {
  private readonly queue = new ByteQueue(1024);

  /** Bytes of an incomplete tuple held back. */
  get pendingBytes(): number {
    return this.queue.length;
  }

  /** The tuples completed by this chunk. */
  push(chunk: Uint8Array): FeedbackTuple[] {
    const q = this.queue;
    q.append(chunk);
    const out: FeedbackTuple[] = [];
    while (q.length >= FEEDBACK_HEADER_BYTES) {
      const at = q.start;
      const size = FEEDBACK_HEADER_BYTES + q.buf.readUInt16BE(at + 4);
      if (q.length < size) break;
      out.push({
        timestamp: q.buf.readUInt32BE(at),
        token: q.buf.toString('hex', at + FEEDBACK_HEADER_BYTES, at + size),
      });
      q.consume(size);
    }
    return out;
  }

  /** At EOF: throws TransportError('PROTOCOL') if a partial tuple was left over. */
  end(): void {
    if (this.queue.length > 0) {
      throw new TransportError(
        'PROTOCOL',
        `feedback stream ended inside a tuple (${this.queue.length} bytes left)`,
      );
    }
  }
}

/** Encodes one tuple (the simulator's feedback service). The token is hex of any even length up to 65535 bytes. */
export function encodeFeedbackTuple(tuple: FeedbackTuple): Buffer {
  checkUint32(tuple.timestamp, 'timestamp');
  const token = tuple.token;
  if (typeof token !== 'string' || !isHex(token) || token.length % 2 !== 0 || token.length === 0) {
    throw new ApnsValidationError('token', 'must be a non-empty, even-length hex string');
  }
  if (token.length / 2 > 0xffff) throw new ApnsValidationError('token', 'is over 65535 bytes');
  const len = token.length / 2;
  const b = Buffer.allocUnsafe(FEEDBACK_HEADER_BYTES + len);
  b.writeUInt32BE(tuple.timestamp, 0);
  b.writeUInt16BE(len, 4);
  b.write(token, FEEDBACK_HEADER_BYTES, len, 'hex');
  return b;
}

/** Encodes many tuples into one Buffer, in order. */
export function encodeFeedbackTuples(tuples: readonly FeedbackTuple[]): Buffer {
  return Buffer.concat(tuples.map(encodeFeedbackTuple));
}
