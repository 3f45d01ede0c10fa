/** The soak's pass/fail rules (test/bench/soak-verdict.ts) on made-up samples: flat passes, a leak and a drift fail. */
import { describe, expect, it } from 'vitest';
import { judgeSoak, type SoakSample } from '../../bench/soak-verdict.js';

const MB = 2 ** 20;
/** `n` windows of 10 s; rss and p99 given per window index. */
function samples(n: number, rssMb: (i: number) => number, p99: (i: number) => number): SoakSample[] {
  return Array.from({ length: n }, (_, i) => ({
    t: 130 + 10 * i,
    rssBytes: rssMb(i) * MB,
    heapUsedBytes: 40 * MB,
    eventLoopLagP99Ms: 12,
    p50Ms: 20,
    p99Ms: p99(i),
    verdicts: 40_000,
    enqueued: 40_000,
    pending: 300,
    redisUsedBytes: 200 * MB,
    workerCores: 0.6,
    machineBusyCores: 1.5,
  }));
}

describe('judgeSoak', () => {
  it('passes a flat run, noise and a single spike included', () => {
    const v = judgeSoak(
      samples(
        48,
        (i) => 150 + (i % 3),
        (i) => (i === 40 ? 900 : 60 + (i % 5)),
      ),
    );
    expect(v.failures).toEqual([]);
    expect(v.pass).toBe(true);
    expect(v.rss.growth).toBeLessThan(0.02);
  });

  it('fails RSS that grows more than 10% after the warm-up, saying by how much', () => {
    const v = judgeSoak(
      samples(
        48,
        (i) => 150 + i,
        () => 60,
      ),
    );
    expect(v.pass).toBe(false);
    expect(v.failures).toEqual([
      expect.stringMatching(
        /^worker RSS grew 20\.3% after the warm-up \(median 158 MB in the first third of the windows, 190 MB in the last\)/,
      ),
    ]);
  });

  it('does not fail a growth of 10% or less', () => {
    expect(
      judgeSoak(
        samples(
          48,
          (i) => 150 + 0.3 * i,
          () => 60,
        ),
      ).pass,
    ).toBe(true);
  });

  it('fails a p99 that creeps upward, and reports a positive slope', () => {
    const v = judgeSoak(
      samples(
        48,
        () => 150,
        (i) => 60 + 3 * i,
      ),
    );
    expect(v.pass).toBe(false);
    expect(v.failures).toEqual([
      expect.stringMatching(
        /^p99 drifted upward: 178\.5 ms in the last third of the windows against 82\.5 ms/,
      ),
    ]);
    expect(v.p99.slopeMsPerMinute).toBeCloseTo(18, 5);
  });

  it('tolerates a small rise within the noise floor', () => {
    expect(
      judgeSoak(
        samples(
          48,
          () => 150,
          (i) => (i < 24 ? 20 : 28),
        ),
      ).pass,
    ).toBe(true);
  });

  it('refuses to judge too few windows, naming the field', () => {
    expect(() =>
      judgeSoak(
        samples(
          5,
          () => 150,
          () => 60,
        ),
      ),
    ).toThrow(/^samples: 5 windows after the warm-up/);
  });
});
