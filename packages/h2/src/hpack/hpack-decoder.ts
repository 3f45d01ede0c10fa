/**
 * HPACK header-block decoder (RFC 7541), complete: indexed fields, literals with incremental indexing, without
 * indexing and never indexed, static or dynamic name references, Huffman or raw strings, and dynamic table size
 * updates (only at the start of a block, never above our SETTINGS_HEADER_TABLE_SIZE).
 *
 * Representations (first byte of each field):
 *
 *   1xxxxxxx  indexed field            index (7-bit prefix integer)
 *   01xxxxxx  literal, incremental     name index (6-bit) or 0 then name string; value string; added to the table
 *   001xxxxx  dynamic table size update  new max size (5-bit)
 *   0001xxxx  literal, never indexed   name index (4-bit) or 0 then name; value
 *   0000xxxx  literal, without index   name index (4-bit) or 0 then name; value
 *
 *   string:   H (1 bit, Huffman) + length (7-bit prefix integer), then the octets
 *
 * Strings are decoded as latin1 (header values are octets, and latin1 keeps every one). The dynamic table is a
 * ring of entries, newest first for indexing (index 62 is the newest), evicted oldest first.
 */
import { decodeHuffman, HuffmanError } from './huffman.js';
import { ENTRY_OVERHEAD, STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table.js';

const EMPTY = Buffer.alloc(0);

/** A header block could not be decoded: a connection error of type COMPRESSION_ERROR (RFC 9113 §4.3). */
export class HpackError extends Error {
  override readonly name = 'HpackError';
}

/** Called once per decoded field, in order. */
export type HeaderSink = (name: string, value: string) => void;

export class HpackDecoder {
  /** The limit we advertised (SETTINGS_HEADER_TABLE_SIZE): a size update above it is an error. */
  readonly #settingsMax: number;
  #max: number;
  #size = 0;
  // Ring buffer of entries; #names[#head] is the newest.
  #names: string[] = new Array<string>(64);
  #values: string[] = new Array<string>(64);
  #head = 0;
  #count = 0;
  #pos = 0;
  #buf: Buffer = EMPTY;

  constructor(maxTableSize = 4096) {
    this.#settingsMax = maxTableSize;
    this.#max = maxTableSize;
  }

  /** Entries in the dynamic table now. */
  get tableLength(): number {
    return this.#count;
  }
  /** Its size in HPACK octets (RFC 7541 §4.1). */
  get tableSize(): number {
    return this.#size;
  }

  /**
   * Decode one complete header block (HEADERS plus CONTINUATION fragments already joined).
   * @throws HpackError on any malformed representation; the connection must then be closed.
   */
  decode(block: Buffer, start: number, end: number, sink: HeaderSink): void {
    this.#buf = block;
    this.#pos = start;
    let fieldsSeen = false;
    try {
      while (this.#pos < end) {
        const b = block[this.#pos]!;
        if (b & 0x80) {
          const index = this.#int(7, end);
          if (index === 0) throw new HpackError('indexed field with index 0');
          this.#emitIndexed(index, sink);
          fieldsSeen = true;
        } else if (b & 0x40) {
          this.#literal(6, end, sink, true);
          fieldsSeen = true;
        } else if (b & 0x20) {
          if (fieldsSeen) throw new HpackError('dynamic table size update after a field');
          const size = this.#int(5, end);
          if (size > this.#settingsMax) {
            throw new HpackError(`dynamic table size update to ${size} > ${this.#settingsMax}`);
          }
          this.#max = size;
          this.#evict(0);
        } else {
          this.#literal(4, end, sink, false);
          fieldsSeen = true;
        }
      }
    } catch (error) {
      if (error instanceof HuffmanError) throw new HpackError(error.message);
      throw error;
    } finally {
      this.#buf = EMPTY;
    }
  }

  #literal(prefix: number, end: number, sink: HeaderSink, index: boolean): void {
    const nameIndex = this.#int(prefix, end);
    const name = nameIndex === 0 ? this.#string(end) : this.#nameAt(nameIndex);
    const value = this.#string(end);
    if (index) this.#add(name, value);
    sink(name, value);
  }

  #emitIndexed(index: number, sink: HeaderSink): void {
    if (index <= STATIC_TABLE_LENGTH) {
      const entry = STATIC_TABLE[index]!;
      sink(entry[0], entry[1]);
      return;
    }
    const slot = this.#slot(index);
    sink(this.#names[slot]!, this.#values[slot]!);
  }

  #nameAt(index: number): string {
    if (index <= STATIC_TABLE_LENGTH) return STATIC_TABLE[index]![0];
    return this.#names[this.#slot(index)]!;
  }

  #slot(index: number): number {
    const d = index - STATIC_TABLE_LENGTH - 1;
    if (d >= this.#count) throw new HpackError(`index ${index} is beyond the dynamic table`);
    return (this.#head + d) & (this.#names.length - 1);
  }

  #add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.#max) {
      // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
      this.#evict(this.#max);
      return;
    }
    this.#evict(size);
    if (this.#count === this.#names.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#names.length - 1);
    this.#names[this.#head] = name;
    this.#values[this.#head] = value;
    this.#count++;
    this.#size += size;
  }

  /** Evict oldest entries until `room` more octets fit. */
  #evict(room: number): void {
    const mask = this.#names.length - 1;
    while (this.#count > 0 && this.#size + room > this.#max) {
      const slot = (this.#head + this.#count - 1) & mask;
      this.#size -= this.#names[slot]!.length + this.#values[slot]!.length + ENTRY_OVERHEAD;
      this.#names[slot] = '';
      this.#values[slot] = '';
      this.#count--;
    }
  }

  #grow(): void {
    const n = this.#names.length;
    const names = new Array<string>(n * 2);
    const values = new Array<string>(n * 2);
    for (let i = 0; i < this.#count; i++) {
      names[i] = this.#names[(this.#head + i) & (n - 1)]!;
      values[i] = this.#values[(this.#head + i) & (n - 1)]!;
    }
    this.#names = names;
    this.#values = values;
    this.#head = 0;
  }

  /** An integer with an N-bit prefix (RFC 7541 §5.1). */
  #int(prefix: number, end: number): number {
    const buf = this.#buf;
    const mask = (1 << prefix) - 1;
    let value = buf[this.#pos++]! & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      if (this.#pos >= end) throw new HpackError('truncated integer');
      const b = buf[this.#pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
      if (shift > 28) throw new HpackError('integer too large');
    }
    return value;
  }

  #string(end: number): string {
    if (this.#pos >= end) throw new HpackError('truncated string');
    const huffman = (this.#buf[this.#pos]! & 0x80) !== 0;
    const length = this.#int(7, end);
    const start = this.#pos;
    if (length > end - start) throw new HpackError('string longer than the block');
    this.#pos += length;
    if (huffman) return decodeHuffman(this.#buf, start, start + length);
    return this.#buf.toString('latin1', start, start + length);
  }
}
