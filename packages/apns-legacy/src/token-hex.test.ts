import { randomBytes } from 'node:crypto';
import { ApnsValidationError } from '@pushfleet/apns';
import { describe, expect, it, vi } from 'vitest';
import { FrameEncoder } from './frame-encoder.js';
import { encodeFrame } from './single-frame.js';
import { hexKernelModule, hexKernels, STAGE } from './token-hex.js';

const hexTokens = (n: number) => Array.from({ length: n }, () => randomBytes(32).toString('hex'));
const payload = Buffer.from('{"aps":{"alert":"hi"}}');

/** Every byte value, in 8 tokens of 32 bytes: lowercase, uppercase and alternating case. */
function everyByte(): { tokens: string[]; bytes: Buffer } {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const tokens: string[] = [];
  for (let t = 0; t < 8; t++) {
    const hex = bytes.subarray(t * 32, t * 32 + 32).toString('hex');
    tokens.push(
      t % 3 === 0
        ? hex
        : t % 3 === 1
          ? hex.toUpperCase()
          : [...hex].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''),
    );
  }
  return { tokens, bytes };
}

/** Characters that are not hex digits, including wide ones whose low byte IS a hex digit. */
const INVALID = [
  ...Array.from({ length: 0x180 }, (_, c) => String.fromCharCode(c)).filter((c) => !/[0-9a-fA-F]/.test(c)),
  '\u0130', // İ: low byte 0x30 '0'
  '\u0161', // š: low byte 0x61 'a'
  '\u0146', // ņ: low byte 0x46 'F'
  '\u3130', // low byte 0x30
  '\uff10', // fullwidth digit zero
  '\u0660', // Arabic-Indic digit zero
  '\ud800', // lone surrogate
  '\u8030', // sign bit set in the UTF-16 unit
];

/** The ApnsValidationError fn throws (matched by name: the fallback suite loads its own module copy). */
function refusal(fn: () => unknown): ApnsValidationError {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name).toBe(ApnsValidationError.name);
    return e as ApnsValidationError;
  }
  throw new Error('expected an ApnsValidationError');
}

/** The reference: frames made one by one with the single-frame encoder. */
function expected(
  tokens: readonly string[],
  payloads: readonly Uint8Array[],
  first: number,
  expiry = 0,
  priority: 10 | 5 = 10,
): Buffer {
  return Buffer.concat(
    tokens.map((token, i) =>
      encodeFrame(
        { token, payload: payloads[i]!, identifier: (first + i) >>> 0, expiry, priority },
        { maxPayloadBytes: 65_535 },
      ),
    ),
  );
}

describe('SIMD hex kernels', () => {
  it('compile to a valid module and are available on this Node', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(hexKernelModule())).toBe(true);
    expect(hexKernels()).not.toBeNull();
  });

  it('decode every byte value, in either case, straight to each destination', () => {
    const hk = hexKernels()!;
    const { tokens, bytes } = everyByte();
    expect(hk.load(tokens, 0, tokens.length)).toBe(true);
    hk.stage(4096);
    expect(hk.fan(8, STAGE + 8, 100, 50, 0x01020304)).toBe(true);
    for (let t = 0; t < 8; t++) {
      const at = STAGE + 8 + t * 100;
      expect(hk.mem.subarray(at, at + 32).equals(bytes.subarray(t * 32, t * 32 + 32))).toBe(true);
      expect(hk.mem.readUInt32BE(at + 50)).toBe(0x01020304 + t);
    }
    expect(hk.load(tokens, 0, tokens.length)).toBe(true);
    for (let t = 0; t < 8; t++) hk.offsets[t] = STAGE + 7 * t * 41; // odd, overlapping-free addresses
    expect(hk.scatter(8)).toBe(true);
    for (let t = 0; t < 8; t++) {
      const at = STAGE + 7 * t * 41;
      expect(hk.mem.subarray(at, at + 32).equals(bytes.subarray(t * 32, t * 32 + 32))).toBe(true);
    }
  });

  it('refuse any non-hex char at any position: one-byte chars in the kernel, wide chars at load', () => {
    const hk = hexKernels()!;
    hk.stage(40 * 64);
    const base = hexTokens(3);
    for (const bad of INVALID) {
      const wide = bad.charCodeAt(0) > 0xff;
      for (const pos of [0, 1, 15, 16, 31, 32, 47, 63]) {
        const tokens = base.slice();
        tokens[1] = tokens[1]!.slice(0, pos) + bad + tokens[1]!.slice(pos + 1);
        const at = `${bad.charCodeAt(0).toString(16)} at ${pos}`;
        // A wide char never reaches the latin1 input area, where only its low byte would be left.
        expect(hk.load(tokens, 0, 3), at).toBe(!wide);
        if (!wide) expect(hk.fan(3, STAGE + 8, 64, 40, 0), at).toBe(false);
      }
    }
    expect(hk.load(base, 0, 3)).toBe(true);
    expect(hk.fan(3, STAGE + 8, 64, 40, 0)).toBe(true); // the accumulator starts clean on each call
  });

  it('load refuses a token that is not a string of 64 chars, even when the total length adds up', () => {
    const hk = hexKernels()!;
    const [a, b] = hexTokens(2) as [string, string];
    expect(hk.load([a, b], 0, 2)).toBe(true);
    expect(hk.load([a.slice(1), `${b}0`], 0, 2)).toBe(false); // 63 + 65 chars
    const stringify = vi.fn(() => b);
    expect(hk.load([a, { toString: stringify } as unknown as string], 0, 2)).toBe(false);
    expect(stringify).not.toHaveBeenCalled(); // no user code runs
    expect(hk.load([a, undefined as unknown as string], 0, 2)).toBe(false);
  });
});

/** The encoder-level checks, run on the SIMD path and again on the fallback (no WebAssembly). */
function batchSuite(make: (options?: ConstructorParameters<typeof FrameEncoder>[0]) => FrameEncoder) {
  it('fan-out and batch output equal single-frame encodings, every byte value, mixed case', () => {
    const { tokens } = everyByte();
    const enc = make({ firstIdentifier: 2 ** 32 - 3 }); // identifiers wrap inside the batch
    expect(enc.writeFanOut(tokens, payload, 1_700_000_000, 5)).toBe(2 ** 32 - 3);
    expect(
      enc.take().equals(
        expected(
          tokens,
          tokens.map(() => payload),
          2 ** 32 - 3,
          1_700_000_000,
          5,
        ),
      ),
    ).toBe(true);
    const payloads = tokens.map((_, i) => Buffer.from(`{"n":${'9'.repeat(i * 37)}}`));
    const first = enc.nextIdentifier;
    enc.writeBatch(tokens, payloads, 7, 10);
    expect(enc.take().equals(expected(tokens, payloads, first, 7))).toBe(true);
  });

  it('a fan-out after another with a different payload, expiry or priority is byte-exact', () => {
    const enc = make();
    const other = make();
    const ts = hexTokens(1100);
    const p2 = Buffer.from(payload.toString().replace('hi', 'ho')); // same length, other bytes
    const cases: [Uint8Array, number, 10 | 5][] = [
      [payload, 0, 10],
      [p2, 0, 10],
      [payload, 0, 10],
      [payload, 9, 10],
      [payload, 9, 5],
      [Buffer.from('{"aps":{}}'), 9, 5],
    ];
    for (const [p, expiry, priority] of cases) {
      const first = enc.nextIdentifier;
      enc.writeFanOut(ts, p, expiry, priority);
      other.writeBatch(ts.slice(0, 3), [p, payload, p2]); // another encoder sharing the staging area
      expect(
        enc.take().equals(
          expected(
            ts,
            ts.map(() => p),
            first,
            expiry,
            priority,
          ),
        ),
      ).toBe(true);
      other.take();
    }
  });

  it('frames larger than the staging target split into several chunks', () => {
    const enc = make({ maxPayloadBytes: 65_535, initialCapacity: 16 });
    const big = Buffer.alloc(65_535, 0x20);
    const ts = hexTokens(40);
    enc.writeFanOut(ts, big);
    expect(
      enc.take().equals(
        expected(
          ts,
          ts.map(() => big),
          1,
        ),
      ),
    ).toBe(true);
    const payloads = ts.map((_, i) => Buffer.alloc(i % 3 === 0 ? 65_535 : 1 + i * 97, 0x41 + (i % 26)));
    enc.writeBatch(ts, payloads);
    expect(enc.take().equals(expected(ts, payloads, 41))).toBe(true);
  });

  it('refuses bad tokens naming the index and commits nothing', () => {
    const enc = make();
    enc.write(hexTokens(1)[0]!, payload);
    const ts = hexTokens(2100);
    const bad: [string, unknown][] = [
      ['wide char İ', `\u0130${ts[1500]!.slice(1)}`],
      ['wide char with a hex low byte, last', `${ts[1500]!.slice(0, 63)}\u0161`],
      ['g', `${ts[1500]!.slice(0, 20)}g${ts[1500]!.slice(21)}`],
      ['space', ` ${ts[1500]!.slice(1)}`],
      ['63 digits', ts[1500]!.slice(1)],
      ['65 digits', `${ts[1500]}0`],
      ['empty', ''],
      ['number', 12],
      ['null', null],
      ['a 64-long object', { length: 64, toString: () => 'ab' }],
      ['a String object', new String(ts[1500])],
      [
        'a 64-long object that re-enters',
        { length: 64, toString: () => String(enc.writeFanOut(ts, payload)) },
      ],
    ];
    for (const [name, token] of bad) {
      const tokens: unknown[] = ts.slice();
      tokens[1500] = token;
      const t = tokens as string[];
      expect(refusal(() => enc.writeFanOut(t, payload)).field, name).toBe('tokens[1500]');
      expect(
        refusal(() =>
          enc.writeBatch(
            t,
            t.map(() => payload),
          ),
        ).field,
        name,
      ).toBe('tokens[1500]');
      expect(enc.frameCount).toBe(1);
      expect(enc.nextIdentifier).toBe(2);
    }
    expect(enc.byteLength).toBe(61 + payload.length);
  });
}

describe('FrameEncoder batch paths, SIMD', () => {
  batchSuite((options) => new FrameEncoder(options));
});

describe('FrameEncoder batch paths, fallback without WebAssembly (e.g. --jitless)', async () => {
  const unavailable = vi.fn(() => null);
  vi.resetModules();
  vi.doMock('./token-hex.js', async (importOriginal) => ({
    ...(await importOriginal<typeof import('./token-hex.js')>()),
    hexKernels: unavailable,
  }));
  const { FrameEncoder: Fallback } = await import('./frame-encoder.js');
  vi.doUnmock('./token-hex.js');
  vi.resetModules();

  batchSuite((options) => new Fallback(options));

  it('really ran without the kernels', () => {
    expect(unavailable).toHaveBeenCalled();
    expect(unavailable.mock.results.every((r) => r.value === null)).toBe(true);
  });
});
