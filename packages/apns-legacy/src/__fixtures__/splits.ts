/** Deterministic chunkings of a byte stream, for feeding streaming decoders. */

/** mulberry32: a tiny seeded PRNG, so a failing split is reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One byte per chunk. */
export function byteByByte(b: Uint8Array): Uint8Array[] {
  return Array.from(b, (_, i) => b.subarray(i, i + 1));
}

/** Random chunk sizes in 1..maxChunk (some zero-length chunks too). */
export function randomSplit(b: Uint8Array, seed: number, maxChunk = 17): Uint8Array[] {
  const rand = prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; ) {
    const n = Math.floor(rand() * (maxChunk + 1));
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}
