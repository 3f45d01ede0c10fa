/**
 * Fuzz of the HPACK decoder (HpackDecoder from @pushfleet/h2), fed header blocks directly: random bytes,
 * mutations of valid blocks (RFC 7541 Appendix C and APNs-like answers), and random sequences of
 * representations with edge-case integers and lengths. Blocks go through one decoder per "connection" (the
 * dynamic table carries over), which is dropped after its first error, as a connection would be.
 *
 * What must hold for every block: decode() returns or throws HpackError, nothing else; the dynamic table stays
 * within the size in force; what it emits is bounded by the block's length times the table size (an indexed
 * field is one byte for an entry of up to the table size: the bound is HPACK's, not ours).
 */
import { HpackDecoder, HpackError } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { hpackString, responseBlock } from './__fixtures__/frames.js';
import { FUZZ_SECONDS, forBudget, mutate, type Rng } from './__fixtures__/fuzz.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Valid blocks to mutate: RFC 7541 C.3 and C.4 (requests, raw and Huffman), C.6.1 (a Huffman response). */
const CORPUS: Buffer[] = [
  hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'),
  hex('8286 84be 5808 6e6f 2d63 6163 6865'),
  hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'),
  hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'),
  hex('8286 84be 5886 a8eb 1064 9cbf'),
  hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'),
  hex(
    '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
  ),
  responseBlock(200, [['apns-id', '77b4d1e2-6f7d-4c1b-9a3e-2f6a1b0c9d8e']]),
  responseBlock(410, [
    ['content-type', 'application/json'],
    ['apns-id', 'x'],
  ]),
  Buffer.concat([
    Buffer.from([0x3f, 0xe1, 0x1f, 0x88, 0x40]),
    hpackString('apns-id'),
    hpackString('a'.repeat(100)),
  ]),
];

/** A prefix integer (RFC 7541 5.1) with the flag bits, the value often at an edge. */
function int(rng: Rng, flags: number, prefix: number): number[] {
  const max = (1 << prefix) - 1;
  const value = rng.pick([
    0,
    1,
    max - 1,
    max,
    max + 1,
    127,
    128,
    4_096,
    4_097,
    2 ** 28,
    2 ** 31,
    rng.int(70),
  ]);
  if (value < max) return [flags | value];
  const out = [flags | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A string: Huffman or raw, a length that may lie, random octets. */
function str(rng: Rng): number[] {
  const n = rng.int(12);
  const length = rng.chance(0.1)
    ? int(rng, rng.chance(0.5) ? 0x80 : 0, 7)
    : [(rng.chance(0.3) ? 0x80 : 0) | n];
  return [...length, ...rng.bytes(n)];
}

/** A block of random representations. */
function representations(rng: Rng): Buffer {
  const out: number[] = [];
  for (let i = rng.int(8); i >= 0; i--) {
    switch (rng.int(5)) {
      case 0:
        out.push(...int(rng, 0x80, 7));
        break;
      case 1:
        out.push(...int(rng, 0x40, 6), ...(rng.chance(0.5) ? str(rng) : []), ...str(rng));
        break;
      case 2:
        out.push(...int(rng, 0x20, 5));
        break;
      case 3:
        out.push(...int(rng, 0x10, 4), ...str(rng), ...str(rng));
        break;
      default:
        out.push(0x00, ...str(rng), ...str(rng));
    }
  }
  return Buffer.from(out);
}

function block(rng: Rng): Buffer {
  switch (rng.int(4)) {
    case 0:
      return rng.bytes(rng.int(48));
    case 1:
      return representations(rng);
    default:
      return mutate(rng, rng.pick(CORPUS));
  }
}

interface Finding {
  readonly seed: number;
  readonly block: string;
  readonly problem: string;
}

describe('fuzz: HPACK decoder', () => {
  it(`never throws anything but HpackError, keeps its table in bounds, emits a bounded output (${FUZZ_SECONDS} s)`, {
    timeout: FUZZ_SECONDS * 1000 + 10_000,
  }, async () => {
    const findings: Finding[] = [];
    let blocks = 0;
    let errors = 0;
    const cases = await forBudget((rng) => {
      const max = rng.pick([0, 64, 256, 4_096]);
      const decoder = new HpackDecoder(max);
      for (let k = 1 + rng.int(6); k > 0; k--) {
        const input = block(rng);
        blocks++;
        let emitted = 0;
        const problem = (text: string) =>
          findings.push({ seed: rng.seed, block: input.toString('hex'), problem: text });
        try {
          decoder.decode(input, 0, input.length, (name, value) => {
            emitted += name.length + value.length;
          });
        } catch (error) {
          if (!(error instanceof HpackError)) problem(`threw ${String(error)}`);
          errors++;
          return; // the connection ends with COMPRESSION_ERROR
        }
        if (decoder.tableSize > max) problem(`table size ${decoder.tableSize} > ${max}`);
        if (decoder.tableLength * 32 > decoder.tableSize) problem('more entries than their overhead allows');
        if (emitted > input.length * (max + 64) + 64)
          problem(`emitted ${emitted} chars from ${input.length} bytes`);
      }
    });
    if (process.env.FUZZ_SECONDS)
      console.info(`HPACK fuzz: ${cases} cases, ${blocks} blocks, ${errors} HpackErrors`);
    expect(findings.slice(0, 5)).toEqual([]);
    expect(cases).toBeGreaterThan(0);
    expect(errors).toBeLessThan(blocks); // some blocks decoded cleanly, or the corpus is not exercised
  });
});
