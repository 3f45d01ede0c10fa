/**
 * HPACK encoder (RFC 7541) for the header blocks of a client's POST requests, built for requests that repeat most
 * of their headers on a connection.
 *
 * `prefix()` encodes the headers that stay the same from request to request (`:authority`, then whatever the
 * caller lists): each is sent once as "literal with incremental indexing" (§6.2.1) and as a one-byte indexed
 * field (§6.1) after that; `:method POST` and `:scheme https` are static-table indexes. The per-request headers
 * the caller writes itself (`writePath`, `writeLiteral`) are "literal without indexing" (§6.2.2), so they never
 * churn the table.
 *
 * The encoder keeps an exact model of the peer decoder's dynamic table (insertions, sizes, eviction at the size
 * the peer allows in SETTINGS_HEADER_TABLE_SIZE), so an index it emits always names the entry it means. While
 * nothing is inserted the table does not move, so the indexed prefix of one set of values is built once and
 * copied per request, and rebuilt only after the table changed.
 *
 * Wire forms written here:
 *   indexed            1xxxxxxx (7-bit index)
 *   literal, indexing  01xxxxxx name index (6-bit) | 0 + name string; value string
 *   literal, no index  0000xxxx name index (4-bit) | 0 + name string; value string
 *   size update        001xxxxx (5-bit), first in a block after the peer's limit changed
 *   strings            raw (H = 0), 7-bit length prefix
 */
import { ENTRY_OVERHEAD, STATIC_TABLE_LENGTH } from './static-table.js';

const STATIC_AUTHORITY = 1;
const STATIC_PATH = 4;
const STATIC_AUTHORIZATION = 23;
const METHOD_POST = 0x83;
const SCHEME_HTTPS = 0x87;

/**
 * The shared part of a request's header block, `bytes`: `head` is the pseudo-headers (`:method`, `:scheme`,
 * `:authority`, after any size update), `tail` the regular headers. `:path` goes between them, since every
 * pseudo-header must come before the first regular one (RFC 9113 §8.3). Both are views of `bytes` made once with
 * the prefix, so a request copies them with `set` and makes no view.
 */
export interface HeaderPrefix {
  readonly bytes: Buffer;
  readonly head: Buffer;
  readonly tail: Buffer;
}

interface Entry {
  readonly key: string;
  readonly size: number;
  readonly insertion: number;
}

export class HpackEncoder {
  /** The table size we use; at most the peer's SETTINGS_HEADER_TABLE_SIZE and our own cap. */
  #max: number;
  readonly #cap: number;
  #pendingSizeUpdate = -1;
  /** The smallest size since the last signalled update (RFC 7541 §4.2); meaningful while one is pending. */
  #pendingMinSize = -1;
  #size = 0;
  #inserted = 0;
  /** Oldest first. */
  readonly #entries: Entry[] = [];
  readonly #byKey = new Map<string, Entry>();
  /** Bumped whenever the table changes: cached prefixes are valid for one generation only. */
  #generation = 0;
  readonly #prefixes = new Map<string, { generation: number; prefix: HeaderPrefix }>();
  /**
   * The last cached prefix and the values it was built from (authority, then name and value of each header):
   * most requests repeat the last one's, and comparing a few strings costs less than building and hashing the
   * map key (a JWT is ~250 characters; `prefix` was 2% of a worker's CPU before this).
   */
  #last: { generation: number; prefix: HeaderPrefix } | undefined;
  readonly #lastValues: string[] = [];

  /** @param cap the largest table we will use, whatever the peer allows. */
  constructor(cap = 4096) {
    this.#cap = cap;
    this.#max = Math.min(cap, 4096);
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE changed: use min(it, cap) from the next block on. */
  setPeerMaxTableSize(size: number): void {
    const next = Math.min(size, this.#cap);
    if (next === this.#max) return;
    this.#max = next;
    this.#evictTo(next);
    this.#pendingMinSize = this.#pendingSizeUpdate < 0 ? next : Math.min(this.#pendingMinSize, next);
    this.#pendingSizeUpdate = next;
    this.#generation++;
  }

  /**
   * The indexed part of a request's header block, shared by every request with the same values: method, scheme,
   * authority, then the given headers with incremental indexing. The returned bytes are valid for the next block
   * only (the next call may insert and move indexes), so copy them into the frame at once.
   */
  prefix(authority: string, indexed: readonly (readonly [string, string])[]): HeaderPrefix {
    const last = this.#last;
    if (last !== undefined && last.generation === this.#generation && this.#pendingSizeUpdate < 0) {
      if (this.#sameAsLast(authority, indexed)) return last.prefix;
    }
    let key = authority;
    for (const [name, value] of indexed) key += '\0' + name + '\0' + value;
    const cached = this.#prefixes.get(key);
    if (cached !== undefined && cached.generation === this.#generation && this.#pendingSizeUpdate < 0) {
      this.#remember(cached, authority, indexed);
      return cached.prefix;
    }
    const before = this.#generation;
    const parts: number[] = [];
    if (this.#pendingSizeUpdate >= 0) {
      // Lowered then raised between two blocks: the smallest size first (the peer's decoder evicts down to
      // it), then the final one (RFC 7541 §4.2).
      if (this.#pendingMinSize < this.#pendingSizeUpdate) writeInt(parts, 0x20, 5, this.#pendingMinSize);
      writeInt(parts, 0x20, 5, this.#pendingSizeUpdate);
      this.#pendingSizeUpdate = -1;
    }
    parts.push(METHOD_POST, SCHEME_HTTPS);
    this.#field(parts, ':authority', authority, STATIC_AUTHORITY);
    const split = parts.length;
    for (const [name, value] of indexed) {
      this.#field(parts, name, value, name === 'authorization' ? STATIC_AUTHORIZATION : 0);
    }
    const bytes = Buffer.from(parts);
    const prefix = { bytes, head: bytes.subarray(0, split), tail: bytes.subarray(split) };
    // A block that inserted (or updated the size) must not be sent twice: cache only an all-indexed one.
    if (this.#generation === before && parts[0] === METHOD_POST) {
      if (this.#prefixes.size > 256) this.#prefixes.clear();
      const entry = { generation: this.#generation, prefix };
      this.#prefixes.set(key, entry);
      this.#remember(entry, authority, indexed);
    }
    return prefix;
  }

  #sameAsLast(authority: string, indexed: readonly (readonly [string, string])[]): boolean {
    const values = this.#lastValues;
    if (values.length !== 1 + 2 * indexed.length || values[0] !== authority) return false;
    for (let i = 0; i < indexed.length; i++) {
      const [name, value] = indexed[i]!;
      if (values[1 + 2 * i] !== name || values[2 + 2 * i] !== value) return false;
    }
    return true;
  }

  #remember(
    entry: { generation: number; prefix: HeaderPrefix },
    authority: string,
    indexed: readonly (readonly [string, string])[],
  ): void {
    this.#last = entry;
    const values = this.#lastValues;
    values.length = 0;
    values.push(authority);
    for (const [name, value] of indexed) values.push(name, value);
  }

  /** Entries in the modelled table (tests). */
  get tableLength(): number {
    return this.#entries.length;
  }

  #field(out: number[], name: string, value: string, staticName: number): void {
    const key = name + '\0' + value;
    const entry = this.#byKey.get(key);
    if (entry !== undefined) {
      writeInt(out, 0x80, 7, STATIC_TABLE_LENGTH + 1 + (this.#inserted - entry.insertion));
      return;
    }
    // Literal with incremental indexing.
    if (staticName > 0) {
      writeInt(out, 0x40, 6, staticName);
    } else {
      out.push(0x40);
      writeString(out, name);
    }
    writeString(out, value);
    this.#insert(key, name.length + value.length + ENTRY_OVERHEAD);
  }

  #insert(key: string, size: number): void {
    this.#generation++;
    if (size > this.#max) {
      this.#evictTo(0);
      return;
    }
    this.#evictTo(this.#max - size);
    const entry = { key, size, insertion: ++this.#inserted };
    this.#entries.push(entry);
    this.#byKey.set(key, entry);
    this.#size += size;
  }

  #evictTo(limit: number): void {
    while (this.#size > limit && this.#entries.length > 0) {
      const old = this.#entries.shift()!;
      this.#size -= old.size;
      if (this.#byKey.get(old.key) === old) this.#byKey.delete(old.key);
      this.#generation++;
    }
  }
}

/** Bytes of a "literal without indexing, name from the static table" field with a raw value. */
export function literalIndexedNameLength(valueLength: number): number {
  return 1 + intLength(7, valueLength) + valueLength;
}

/**
 * `:path` as a literal without indexing: 0x04, length, value; the value `path` + `rest`, written in two parts so
 * the caller need not join them (a joined string is one more object, flattened again when written). Returns
 * the offset after it.
 */
export function writePath(out: Buffer, offset: number, path: string, rest = ''): number {
  out[offset++] = STATIC_PATH;
  offset = writeIntAt(out, offset, 0, 7, path.length + rest.length);
  offset += out.write(path, offset, path.length, 'latin1');
  return rest.length === 0 ? offset : offset + out.write(rest, offset, rest.length, 'latin1');
}

/** A header with a literal name, without indexing: 0x00, name, value. Returns the offset after it. */
export function writeLiteral(out: Buffer, offset: number, name: string, value: string): number {
  out[offset++] = 0;
  offset = writeIntAt(out, offset, 0, 7, name.length);
  offset += out.write(name, offset, name.length, 'latin1');
  offset = writeIntAt(out, offset, 0, 7, value.length);
  return offset + out.write(value, offset, value.length, 'latin1');
}

/** Upper bound of `writeLiteral`'s bytes. */
export function literalLength(name: string, value: string): number {
  return 1 + intLength(7, name.length) + name.length + intLength(7, value.length) + value.length;
}

export function intLength(prefix: number, value: number): number {
  const max = (1 << prefix) - 1;
  if (value < max) return 1;
  let n = 2;
  for (let v = value - max; v >= 128; v = Math.floor(v / 128)) n++;
  return n;
}

/** An N-bit-prefix integer (RFC 7541 §5.1) at `offset` with the high bits `flags`. */
export function writeIntAt(
  out: Buffer,
  offset: number,
  flags: number,
  prefix: number,
  value: number,
): number {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out[offset++] = flags | value;
    return offset;
  }
  out[offset++] = flags | max;
  let v = value - max;
  while (v >= 128) {
    out[offset++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[offset++] = v;
  return offset;
}

function writeInt(out: number[], flags: number, prefix: number, value: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function writeString(out: number[], s: string): void {
  writeInt(out, 0, 7, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}
