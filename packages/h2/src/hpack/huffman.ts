/**
 * The HPACK Huffman code (RFC 7541 Appendix B) and a decoder for it.
 *
 * The code is canonical: codes of one length are consecutive in symbol order, and each length starts where the
 * previous one ended, shifted left. So the table is carried as the 257 code lengths (symbols 0-255 and EOS = 256)
 * and the codes are rebuilt from them at load; `hpack.test.ts` checks rebuilt codes against Appendix B values
 * and decodes the Appendix C.4 strings.
 *
 * Decoding walks the code tree 4 bits at a time through a table built once: for each of the 256 inner nodes
 * (states) and each nibble, the state it leads to and the symbol it completes, if any (every code is 5 bits or
 * longer, so a nibble completes at most one). Padding (RFC 7541 §5.2) must be a prefix of EOS (all ones) shorter
 * than 8 bits; anything else, or an EOS symbol in the data, is a decoding error.
 */

// biome-ignore format: one row per 16 symbols
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** Code of each symbol, right-aligned, and its length in bits. */
export const HUFFMAN_CODES: readonly number[] = buildCodes();
export const HUFFMAN_LENGTHS: readonly number[] = LENGTHS;

function buildCodes(): number[] {
  const order = LENGTHS.map((length, symbol) => ({ length, symbol })).sort(
    (a, b) => a.length - b.length || a.symbol - b.symbol,
  );
  const codes = new Array<number>(LENGTHS.length).fill(0);
  let code = 0;
  let length = order[0]!.length;
  for (const entry of order) {
    code *= 2 ** (entry.length - length);
    length = entry.length;
    codes[entry.symbol] = code;
    code++;
  }
  return codes;
}

// Decoding tree: inner nodes 0..255 (0 is the root); child slots hold an inner node id, or ~symbol for a leaf.
const STATES = 256;
const children = new Int32Array(STATES * 2).fill(-0x7fffffff);
const depthOf = new Uint8Array(STATES);
const onesOnly = new Uint8Array(STATES);
(() => {
  let next = 1;
  onesOnly[0] = 1;
  for (let symbol = 0; symbol < LENGTHS.length; symbol++) {
    const length = LENGTHS[symbol]!;
    const code = HUFFMAN_CODES[symbol]!;
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const b = Math.floor(code / 2 ** bit) & 1;
      const slot = node * 2 + b;
      if (bit === 0) {
        children[slot] = ~symbol;
      } else {
        if (children[slot] === -0x7fffffff) {
          depthOf[next] = depthOf[node]! + 1;
          onesOnly[next] = onesOnly[node]! & b;
          children[slot] = next++;
        }
        node = children[slot]!;
      }
    }
  }
})();

/** NEXT[state*16 + nibble]: the state after the nibble; SYM: the symbol it completed, -1 none, -2 error (EOS). */
const NEXT = new Uint8Array(STATES * 16);
const SYM = new Int16Array(STATES * 16);
(() => {
  for (let state = 0; state < STATES; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let sym = -1;
      for (let bit = 3; bit >= 0; bit--) {
        const child = children[node * 2 + ((nibble >> bit) & 1)]!;
        if (child >= 0) {
          node = child;
          continue;
        }
        const symbol = ~child;
        sym = symbol === EOS ? -2 : symbol;
        node = 0;
        if (sym === -2) break;
      }
      NEXT[state * 16 + nibble] = node;
      SYM[state * 16 + nibble] = sym;
    }
  }
})();

/** A Huffman string was malformed (RFC 7541 §5.2): a decoding error, so a connection error. */
export class HuffmanError extends Error {
  override readonly name = 'HuffmanError';
}

const scratch = Buffer.allocUnsafe(4096);

/** Decode `buf[start, end)` as a Huffman-coded string (latin1: header values are octets). */
export function decodeHuffman(buf: Uint8Array, start: number, end: number): string {
  // Every symbol is at least 5 bits: the output is at most 8/5 of the input.
  const max = Math.ceil(((end - start) * 8) / 5);
  const out = max <= scratch.length ? scratch : Buffer.allocUnsafe(max);
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    let k = state * 16 + (byte >> 4);
    let sym = SYM[k]!;
    state = NEXT[k]!;
    if (sym >= 0) out[n++] = sym;
    else if (sym === -2) throw new HuffmanError('EOS symbol in a Huffman-coded string');
    k = state * 16 + (byte & 15);
    sym = SYM[k]!;
    state = NEXT[k]!;
    if (sym >= 0) out[n++] = sym;
    else if (sym === -2) throw new HuffmanError('EOS symbol in a Huffman-coded string');
  }
  if (state !== 0 && (onesOnly[state] !== 1 || depthOf[state]! > 7)) {
    throw new HuffmanError('Huffman padding is not a prefix of EOS shorter than 8 bits');
  }
  return out.toString('latin1', 0, n);
}

/** Bytes `s` takes Huffman-coded. */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff]!;
  return Math.ceil(bits / 8);
}

/** Huffman-code `s` (latin1) into `out` at `offset`; returns the offset after it. */
export function encodeHuffman(s: string, out: Uint8Array, offset: number): number {
  let acc = 0;
  let bits = 0;
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const length = LENGTHS[sym]!;
    let code = HUFFMAN_CODES[sym]!;
    let left = length;
    // Feed the code in chunks small enough for 32-bit arithmetic.
    while (left > 0) {
      const take = Math.min(left, 16);
      const chunk = Math.floor(code / 2 ** (left - take)) & ((1 << take) - 1);
      acc = (acc << take) | chunk;
      bits += take;
      left -= take;
      code = code % 2 ** left;
      while (bits >= 8) {
        bits -= 8;
        out[o++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out[o++] = ((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff;
  return o;
}
