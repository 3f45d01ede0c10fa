/**
 * A growable byte queue for the streaming decoders: chunks are appended at the tail, whole records are
 * consumed from the head. One reused buffer; it compacts (memmove) before growing, and doubles only when
 * the unconsumed bytes themselves need more room.
 *
 *   buf: [ consumed | start ... pending ... end | free ]
 */
export class ByteQueue {
  buf: Buffer;
  start = 0;
  end = 0;

  constructor(initialCapacity = 4096) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Unconsumed bytes. */
  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const pending = this.end - this.start;
      const need = pending + chunk.length;
      if (need > this.buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = pending;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.start = this.end = 0;
  }
}
