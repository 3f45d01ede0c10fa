/**
 * What the fuzz suites share: a seeded PRNG (mulberry32: 32 bits of state, a full period of 2^32, plenty for
 * picking bytes), byte-level mutators, and the time budget. Every case derives from one seed, printed on
 * failure, so any finding replays as the first case of `FUZZ_SEED=<seed>`. (With several lanes, an uncaught
 * error is reported against every case running at that moment: replay each.)
 *
 *   FUZZ_SECONDS  time per fuzz test (default 2; CI keeps the default)
 *   FUZZ_SEED     the first case's seed (default 0x5eed); case i uses seed + i
 *   FUZZ_LANES    cases at a time where a suite runs several (FUZZ_LANES=1 FUZZ_SECONDS=0.1 replays one seed)
 */

/** mulberry32 (Tommy Ettinger): the next 32-bit value of the stream started at `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Helpers over one mulberry32 stream. */
export class Rng {
  readonly seed: number;
  readonly #next: () => number;
  constructor(seed: number) {
    this.seed = seed;
    this.#next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.#next() % n;
  }
  chance(p: number): boolean {
    return this.#next() / 2 ** 32 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.#next() & 0xff;
    return out;
  }
}

export const FUZZ_SECONDS = Number(process.env.FUZZ_SECONDS ?? 2);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/** A copy of `input` with 1 to 4 mutations: bit flips, byte changes, insertions, deletions, cuts, repeats. */
export function mutate(rng: Rng, input: Buffer): Buffer {
  let out = Buffer.from(input);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(7)) {
      case 0:
        if (out.length > 0) out[at % out.length]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (out.length > 0) out[at % out.length] = rng.pick([0x00, 0x7f, 0x80, 0xff, rng.int(256)]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), rng.bytes(1 + rng.int(8)), out.subarray(at)]);
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + rng.int(8))]);
        break;
      case 4:
        out = out.subarray(0, at);
        break;
      case 5: {
        const from = rng.int(out.length + 1);
        out = Buffer.concat([
          out.subarray(0, at),
          out.subarray(from, from + 1 + rng.int(32)),
          out.subarray(at),
        ]);
        break;
      }
      default:
        // A big-endian integer field set to an edge value (lengths, stream ids, windows, codes).
        if (out.length >= 4) {
          const p = at % (out.length - 3);
          out.writeUInt32BE(rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x4000, 0x4001]), p);
        }
    }
  }
  return out;
}

/**
 * Run `one(rng, lane)` for seeds FUZZ_SEED, FUZZ_SEED + 1, ... until the time budget is spent, `lanes` cases at
 * a time (lane l takes seeds l, l + lanes, ...: a seed always makes the same case). Returns the count.
 */
export async function forBudget(
  one: (rng: Rng, lane: number) => void | Promise<void>,
  { seconds = FUZZ_SECONDS, lanes = 1 }: { seconds?: number; lanes?: number } = {},
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let k = 0; performance.now() < end; k++) {
        n++;
        await one(new Rng(FUZZ_SEED + lane + k * lanes), lane);
      }
    }),
  );
  return n;
}
