import { describe, expect, it } from 'vitest';
import { HpackDecoder, HpackError } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { decodeHuffman, encodeHuffman, HUFFMAN_CODES, HUFFMAN_LENGTHS, huffmanLength } from './huffman.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeAll(decoder: HpackDecoder, block: Buffer): [string, string][] {
  const out: [string, string][] = [];
  decoder.decode(block, 0, block.length, (n, v) => out.push([n, v]));
  return out;
}

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('rebuilds the canonical codes from the lengths', () => {
    // Spot checks against Appendix B's code column.
    expect([HUFFMAN_CODES[0], HUFFMAN_LENGTHS[0]]).toEqual([0x1ff8, 13]);
    expect([HUFFMAN_CODES[1], HUFFMAN_LENGTHS[1]]).toEqual([0x7fffd8, 23]);
    expect([HUFFMAN_CODES[32], HUFFMAN_LENGTHS[32]]).toEqual([0x14, 6]); // ' '
    expect([HUFFMAN_CODES[48], HUFFMAN_LENGTHS[48]]).toEqual([0x0, 5]); // '0'
    expect([HUFFMAN_CODES[97], HUFFMAN_LENGTHS[97]]).toEqual([0x3, 5]); // 'a'
    expect([HUFFMAN_CODES[92], HUFFMAN_LENGTHS[92]]).toEqual([0x7fff0, 19]); // '\'
    expect([HUFFMAN_CODES[254], HUFFMAN_LENGTHS[254]]).toEqual([0x7fffff0, 27]);
    expect([HUFFMAN_CODES[255], HUFFMAN_LENGTHS[255]]).toEqual([0x3ffffee, 26]);
    expect([HUFFMAN_CODES[256], HUFFMAN_LENGTHS[256]]).toEqual([0x3fffffff, 30]); // EOS
    // A complete prefix code: the Kraft sum is exactly 1.
    expect(HUFFMAN_LENGTHS.reduce((sum, l) => sum + 2 ** -l, 0)).toBe(1);
  });

  it('decodes the Appendix C.4 strings', () => {
    const www = hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff');
    expect(decodeHuffman(www, 0, www.length)).toBe('www.example.com');
    const noCache = hex('a8eb 1064 9cbf');
    expect(decodeHuffman(noCache, 0, noCache.length)).toBe('no-cache');
    const customKey = hex('25a8 49e9 5ba9 7d7f');
    expect(decodeHuffman(customKey, 0, customKey.length)).toBe('custom-key');
  });

  it('round-trips every octet and a UUID', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
    for (const s of [all, 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', '']) {
      const out = Buffer.alloc(huffmanLength(s));
      expect(encodeHuffman(s, out, 0)).toBe(out.length);
      expect(decodeHuffman(out, 0, out.length)).toBe(s);
    }
  });

  it('refuses bad padding and an encoded EOS', () => {
    // 'a' (00011) padded with zeros instead of ones.
    expect(() => decodeHuffman(Buffer.from([0b00011000]), 0, 1)).toThrow(/padding/);
    // A whole byte of padding (8 bits of ones) after a complete symbol.
    expect(() => decodeHuffman(Buffer.from([0b00011111, 0xff]), 0, 2)).toThrow(/padding/);
    expect(() => decodeHuffman(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4)).toThrow(/EOS/);
  });
});

describe('HpackDecoder', () => {
  it('decodes the Appendix C.4 request sequence with its dynamic table', () => {
    const d = new HpackDecoder();
    expect(decodeAll(d, hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.tableSize).toBe(57);
    expect(decodeAll(d, hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.tableSize).toBe(110);
    expect(decodeAll(d, hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
    expect(d.tableSize).toBe(164);
    expect(d.tableLength).toBe(3);
  });

  it('decodes raw literals of every kind (Appendix C.2)', () => {
    const d = new HpackDecoder();
    // C.2.1 literal with indexing, new name.
    expect(decodeAll(d, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))).toEqual([
      ['custom-key', 'custom-header'],
    ]);
    expect(d.tableSize).toBe(55);
    // C.2.2 literal without indexing, indexed name; C.2.3 never indexed, new name.
    expect(decodeAll(d, hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([[':path', '/sample/path']]);
    expect(decodeAll(d, hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([['password', 'secret']]);
    expect(d.tableLength).toBe(1);
    // The dynamic entry by index (62).
    expect(decodeAll(d, hex('be'))).toEqual([['custom-key', 'custom-header']]);
  });

  it('applies size updates and evicts', () => {
    const d = new HpackDecoder(4096);
    decodeAll(d, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    expect(d.tableLength).toBe(1);
    decodeAll(d, hex('20')); // size update to 0 empties the table
    expect(d.tableLength).toBe(0);
    expect(() => decodeAll(d, hex('be'))).toThrow(HpackError);
    expect(() => decodeAll(d, hex('3fe2 1f'))).toThrow(/size update/); // 4096 + 1 > our limit
    expect(() => decodeAll(d, hex('82 20'))).toThrow(/after a field/);
    expect(() => decodeAll(d, hex('80'))).toThrow(/index 0/);
    expect(() => decodeAll(d, hex('410f 7777'))).toThrow(/longer than the block/);
  });
});

describe('HpackEncoder', () => {
  it('indexes repeated headers once and keeps in step with a decoder', () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    const headers: [string, string][] = [
      ['authorization', 'bearer abc'],
      ['apns-topic', 'com.example.app'],
      ['apns-push-type', 'alert'],
    ];
    const first = e.prefix('api.push.apple.com', headers);
    const second = e.prefix('api.push.apple.com', headers);
    expect(second.bytes.length).toBe(6); // POST, https and four one-byte indexes
    expect(e.prefix('api.push.apple.com', headers)).toBe(second); // cached while the table is still
    const expected = [
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', 'api.push.apple.com'],
      ...headers,
    ];
    expect(decodeAll(d, first.bytes)).toEqual(expected);
    expect(decodeAll(d, second.bytes)).toEqual(expected);
    // A new bearer is inserted; the old entries move down an index and still resolve.
    const rotated: [string, string][] = [['authorization', 'bearer def'], ...headers.slice(1)];
    expect(decodeAll(d, e.prefix('api.push.apple.com', rotated).bytes)).toEqual([
      ...expected.slice(0, 3),
      ...rotated,
    ]);
    expect(decodeAll(d, e.prefix('api.push.apple.com', rotated).bytes)).toEqual([
      ...expected.slice(0, 3),
      ...rotated,
    ]);
    expect(decodeAll(d, e.prefix('api.push.apple.com', headers).bytes)).toEqual(expected);
  });

  it('follows a smaller peer table with a size update and evictions', () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    const big = (i: number): [string, string][] => [['apns-topic', `com.example.${'x'.repeat(60)}.${i}`]];
    for (let i = 0; i < 100; i++) decodeAll(d, e.prefix('a', big(i)).bytes);
    e.setPeerMaxTableSize(100);
    for (let i = 0; i < 5; i++) {
      expect(decodeAll(d, e.prefix('a', big(i)).bytes)).toEqual([
        [':method', 'POST'],
        [':scheme', 'https'],
        [':authority', 'a'],
        ...big(i),
      ]);
    }
    expect(d.tableSize).toBeLessThanOrEqual(100);
    expect(e.tableLength).toBe(d.tableLength);
  });
});
