/**
 * Batch hex decoding of device tokens for FrameEncoder's batch paths, with WebAssembly SIMD
 * (docs/design/benchmark-notes.md, "Legacy frame encoder", has the measurements behind this design).
 *
 * Each batch is decoded chunk by chunk (at most TOKEN_CHUNK tokens at a time):
 *   1. `load`: the chunk's tokens concatenated (a rope built with `+=`, checking each token's type and
 *      length on the way), then ONE native latin1 write into the input area, which flattens the rope (a
 *      plain copy of one-byte chars). This step is the floor of the whole path (~20 ns per token in V8
 *      11.3; `join('')` costs a few ns more per element); every per-token native call (latin1Write,
 *      encodeInto) costs 80 to 170 ns and a `charCodeAt` loop 100 to 200 ns. A latin1 write keeps only
 *      the low byte of a char above 0xff (U+0130 would pass as '0'), so `load` first refuses any such char
 *      with a regular expression, which V8 compiles for one-byte strings to an immediate "no match" (no
 *      char they can hold matches it): the common case pays nothing.
 *   2. A SIMD kernel checks every char is [0-9A-Fa-f] with one accumulator per call (a single branch per
 *      chunk), and writes the 32 token bytes straight into frames laid out in the staging area.
 *   3. The caller copies the staged frames into its own buffer with one memmove.
 *
 * Memory (one instance per thread, shared by every encoder; used only inside synchronous calls):
 *   0            INPUT_BYTES   tokens as latin1, 64 bytes each
 *   INPUT_BYTES  OFFSETS_BYTES u32 destination of each token (`scatter`)
 *   STAGE        ...           staging area for frames; grows on demand
 *
 * Kernels (the module is emitted below, about 1 KB; no toolchain or dependency needed):
 *   fan(src, dst, count, stride, idDelta, firstId) → 1 if all valid
 *       token i → dst + i*stride (32 bytes); identifier firstId+i (big-endian) → dst + i*stride + idDelta
 *   scatter(src, offsets, count) → 1 if all valid
 *       token i → u32 at offsets + 4i
 * On invalid input the kernels still run to the end (the bytes written are garbage); callers then name the
 * faulty token with checkToken and commit nothing.
 */

/** Tokens decoded per kernel call; the input area holds one chunk. */
export const TOKEN_CHUNK = 1024;
/** Staging bytes a chunk aims to fit in (fewer tokens per chunk when frames are large). */
export const STAGE_TARGET_BYTES = 1 << 20;

const PAGE = 65_536;
/** A char a latin1 write would truncate. */
const WIDE_CHAR = /[^\0-\xff]/;
const INPUT_TOKEN_BYTES = 64;
const INPUT_BYTES = TOKEN_CHUNK * INPUT_TOKEN_BYTES;
const OFFSETS_BYTES = TOKEN_CHUNK * 4;
/** First byte of the staging area (page-aligned). */
export const STAGE = Math.ceil((INPUT_BYTES + OFFSETS_BYTES) / PAGE) * PAGE;
export const OFFSETS = INPUT_BYTES;

// ---- a minimal WebAssembly emitter (binary format: the MVP and SIMD opcodes used below) ----

type Code = readonly (number | Code)[];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const I32 = 0x7f;
const V128 = 0x7b;
const splat = (b: number): number[] => new Array<number>(16).fill(b);
const simd = (opcode: number, ...imm: number[]): number[] => [0xfd, ...uleb(opcode), ...imm];

/** The instructions used, named as in the spec's text format. */
const w = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  i32Load: [0x28, 2, 0],
  i32Store: [0x36, 0, 0], // alignment hint 1: ids sit at odd offsets
  add: [0x6a],
  sub: [0x6b],
  and: [0x71],
  or: [0x72],
  rotl: [0x77],
  rotr: [0x78],
  eqz: [0x45],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  v128Load: (offset: number) => simd(0x00, 0, ...uleb(offset)),
  v128Store: (offset: number) => simd(0x0b, 0, ...uleb(offset)),
  v128Const: (bytes: readonly number[]) => simd(0x0c, ...bytes),
  v128And: simd(0x4e),
  v128Or: simd(0x50),
  v128AnyTrue: simd(0x53),
  i8x16NarrowI16x8U: simd(0x66),
  i8x16AddSatU: simd(0x70),
  i8x16Sub: simd(0x71),
  i8x16SubSatU: simd(0x73),
  i8x16MinU: simd(0x77),
  i8x16MaxU: simd(0x79),
  i16x8Shl: simd(0x8b),
  i16x8ShrU: simd(0x8d),
} as const;

interface WasmFunc {
  readonly name: string;
  readonly params: number;
  /** i32 locals, numbered after the params; the v128 locals come after them. */
  readonly i32Locals: number;
  readonly body: Code;
}

function wasmModule(funcs: readonly WasmFunc[]): Uint8Array {
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
  const types = funcs.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), 1, I32]);
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  exports.push([...name('memory'), 0x02, 0]);
  const bodies = funcs.map((f) => {
    const locals = vec([
      [...uleb(f.i32Locals), I32],
      [...uleb(V128_LOCALS), V128],
    ]);
    const b = [...locals, ...(f.body.flat(8) as number[]), 0x0b];
    return [...uleb(b.length), ...b];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(STAGE / PAGE + 8)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

// ---- the kernels ----

/** Param 0 of both kernels: the latin1 input, advanced by 64 bytes per token. */
const SRC = 0;
/** Param 2 of both kernels: tokens left. */
const COUNT = 2;
const V128_LOCALS = 11;

/** v128 locals start after `base` (params + i32 locals). */
function vecLocals(base: number) {
  return {
    worst: base, // max over every lane's class: <= 15 iff every char so far was a hex digit
    d: base + 1,
    l: base + 2,
    nib: base + 3,
    k30: base + 4,
    k06: base + 5,
    k20: base + 6,
    k61: base + 7,
    k0a: base + 8,
    k0f: base + 9,
    lowBytes: base + 10,
  };
}
type Locals = ReturnType<typeof vecLocals>;

function constants(L: Locals): Code {
  return [
    ...[w.v128Const(splat(0)), w.set(L.worst)],
    ...[w.v128Const(splat(0x30)), w.set(L.k30), w.v128Const(splat(6)), w.set(L.k06)],
    ...[w.v128Const(splat(0x20)), w.set(L.k20), w.v128Const(splat(0x61)), w.set(L.k61)],
    ...[w.v128Const(splat(10)), w.set(L.k0a), w.v128Const(splat(15)), w.set(L.k0f)],
    ...[w.v128Const(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 0xff : 0))), w.set(L.lowBytes)],
  ];
}

/**
 * 16 chars (16 input bytes at SRC+off) → 16 nibbles on the stack; folds their class into `worst`. All
 * arithmetic is on unsigned bytes; `+s` saturates at 255.
 *   d = c - '0'                    0..9 for digits
 *   l = ((c | 0x20) - 'a') +s 10   10..15 for a-f and A-F; above 15 for every other char
 *   nibble = min(d, l)             right for every hex digit (a digit's l is >= 0xd9, a letter's d >= 0x11)
 *   class = min(d +s 6, l)         <= 15 iff c is a hex digit (d +s 6 <= 15 iff d <= 9)
 */
function nibbles(L: Locals, off: number): Code {
  return [
    ...[w.get(SRC), w.v128Load(off), w.tee(L.nib)],
    ...[w.get(L.k30), w.i8x16Sub, w.set(L.d)],
    ...[
      w.get(L.nib),
      w.get(L.k20),
      w.v128Or,
      w.get(L.k61),
      w.i8x16Sub,
      w.get(L.k0a),
      w.i8x16AddSatU,
      w.set(L.l),
    ],
    ...[w.get(L.d), w.get(L.k06), w.i8x16AddSatU, w.get(L.l), w.i8x16MinU],
    ...[w.get(L.worst), w.i8x16MaxU, w.set(L.worst)],
    ...[w.get(L.d), w.get(L.l), w.i8x16MinU],
  ];
}

/** Nibbles (n0, n1, …) on the stack → u16 lanes (n0 << 4 | n1), each below 0x100. */
function pairs(L: Locals): Code {
  return [
    ...[w.tee(L.nib), w.i32(4), w.i16x8Shl, w.get(L.nib), w.i32(8), w.i16x8ShrU, w.v128Or],
    ...[w.get(L.lowBytes), w.v128And],
  ];
}

/** 32 chars at SRC+off → 16 bytes on the stack. */
function bytes16(L: Locals, off: number): Code {
  return [...nibbles(L, off), ...pairs(L), ...nibbles(L, off + 16), ...pairs(L), w.i8x16NarrowI16x8U];
}

/** One token: 64 input bytes at SRC → 32 bytes at local `dst`; then SRC += 64. */
function token(L: Locals, dst: number): Code {
  return [
    ...[w.get(dst), ...bytes16(L, 0), w.v128Store(0)],
    ...[w.get(dst), ...bytes16(L, 32), w.v128Store(16)],
    ...[w.get(SRC), w.i32(INPUT_TOKEN_BYTES), w.add, w.set(SRC)],
  ];
}

/** Runs `body` COUNT times (nothing when COUNT is 0); returns 1 if every char was a hex digit. */
function counted(L: Locals, body: Code): Code {
  return [
    ...constants(L),
    ...[w.block, w.get(COUNT), w.eqz, w.brIf(0), w.loop],
    ...body,
    ...[w.get(COUNT), w.i32(1), w.sub, w.tee(COUNT), w.brIf(0), w.end, w.end],
    ...[w.get(L.worst), w.get(L.k0f), w.i8x16SubSatU, w.v128AnyTrue, w.eqz],
  ];
}

/** fan(src, dst, count, stride, idDelta, id): frames at a fixed stride, identifiers written too. */
function fanKernel(): WasmFunc {
  const [dst, stride, idDelta, id] = [1, 3, 4, 5];
  const L = vecLocals(6);
  const bswapId = [
    ...[w.get(id), w.i32(8), w.rotr, w.i32(0xff00ff00 | 0), w.and],
    ...[w.get(id), w.i32(8), w.rotl, w.i32(0x00ff00ff), w.and, w.or],
  ];
  return {
    name: 'fan',
    params: 6,
    i32Locals: 0,
    body: counted(L, [
      ...token(L, dst),
      ...[w.get(dst), w.get(idDelta), w.add, ...bswapId, w.i32Store],
      ...[w.get(id), w.i32(1), w.add, w.set(id)],
      ...[w.get(dst), w.get(stride), w.add, w.set(dst)],
    ]),
  };
}

/** scatter(src, offsets, count): token i goes to the u32 address at offsets + 4i. */
function scatterKernel(): WasmFunc {
  const [offsets, dst] = [1, 3];
  const L = vecLocals(4);
  return {
    name: 'scatter',
    params: 3,
    i32Locals: 1,
    body: counted(L, [
      ...[w.get(offsets), w.i32Load, w.set(dst)],
      ...token(L, dst),
      ...[w.get(offsets), w.i32(4), w.add, w.set(offsets)],
    ]),
  };
}

interface KernelExports {
  fan(src: number, dst: number, count: number, stride: number, idDelta: number, id: number): number;
  scatter(src: number, offsets: number, count: number): number;
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
}

/** The part of the WebAssembly JS API used here (this project's `lib` has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}

/** The module bytes (exported for tests and for anyone who wants to disassemble them). */
export function hexKernelModule(): Uint8Array {
  return wasmModule([fanKernel(), scatterKernel()]);
}

/**
 * The kernels and their memory. Views (`mem`, `dv`, `offsets`) are replaced when the memory grows, so
 * read them after `stage()`, never across it.
 */
export class HexKernels {
  mem: Buffer;
  dv: DataView;
  offsets: Uint32Array;
  /**
   * Fan-out frames laid out at STAGE by the last writeFanOut (0 after anything else used the staging
   * area), with their frame size and `expiry * 16 + priority`; the payload is compared byte for byte.
   */
  fanTemplateFrames = 0;
  fanTemplateSize = 0;
  fanTemplateTail = 0;
  private readonly k: KernelExports;

  constructor(k: KernelExports) {
    this.k = k;
    this.mem = Buffer.alloc(0);
    this.dv = new DataView(new ArrayBuffer(0));
    this.offsets = new Uint32Array(0);
    this.views();
  }

  /** Makes the staging area at least `bytes` long (growing keeps its content); returns STAGE. */
  stage(bytes: number): number {
    const need = STAGE + bytes;
    if (need > this.mem.length) {
      this.k.memory.grow(Math.ceil((need - this.mem.length) / PAGE));
      this.views();
    }
    return STAGE;
  }

  /**
   * Writes tokens[from..to) into the input area, one byte per char. False, writing nothing, if one is not
   * a string of 64 chars or holds a char above 0xff (never a hex digit; a latin1 write would keep only its
   * low byte); the caller then names it.
   *
   * The run is built with `+=` (a rope: V8 links the strings and copies them once, when the write flattens
   * it) rather than `join('')`, which costs more per element; the same loop checks each token's type and
   * length, so no user code (a `toString`) runs and a short token cannot hide behind a long one.
   */
  load(tokens: readonly string[], from: number, to: number): boolean {
    let run = '';
    for (let i = from; i < to; i++) {
      const t = tokens[i];
      if (typeof t !== 'string' || t.length !== INPUT_TOKEN_BYTES) return false;
      run += t;
    }
    if (WIDE_CHAR.test(run)) return false;
    this.mem.write(run, 0, 'latin1');
    return true;
  }

  /** Decodes `count` loaded tokens to dst + i*stride and writes identifiers; true if all were hex. */
  fan(count: number, dst: number, stride: number, idDelta: number, firstId: number): boolean {
    return this.k.fan(0, dst, count, stride, idDelta, firstId | 0) === 1;
  }

  /** Decodes `count` loaded tokens to the addresses in `offsets[0..count)`; true if all were hex. */
  scatter(count: number): boolean {
    return this.k.scatter(0, OFFSETS, count) === 1;
  }

  private views(): void {
    const buf = this.k.memory.buffer;
    this.mem = Buffer.from(buf);
    this.dv = new DataView(buf);
    this.offsets = new Uint32Array(buf, OFFSETS, TOKEN_CHUNK);
  }
}

let kernels: HexKernels | null | undefined;

/**
 * The shared kernels, compiled on first use; null where WebAssembly SIMD is unavailable (e.g. `--jitless`),
 * in which case the encoder falls back to one native hex decode per chunk.
 */
export function hexKernels(): HexKernels | null {
  if (kernels === undefined) {
    kernels = null;
    try {
      const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      const bytes = hexKernelModule();
      if (wasm?.validate(bytes)) {
        const instance = new wasm.Instance(new wasm.Module(bytes));
        kernels = new HexKernels(instance.exports as unknown as KernelExports);
      }
    } catch {
      kernels = null;
    }
  }
  return kernels;
}
