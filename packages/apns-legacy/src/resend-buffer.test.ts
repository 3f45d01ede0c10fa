import { ApnsValidationError } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import { ResendBuffer, type ResendEntry } from './resend-buffer.js';

const ids = (es: readonly ResendEntry<unknown>[]) => es.map((e) => e.identifier);

/** Asserts every notification 0..n-1 appears exactly once across the groups. */
function exactlyOnce(n: number, ...groups: ResendEntry<number>[][]) {
  const seen = new Array<number>(n).fill(0);
  for (const g of groups) for (const e of g) seen[e.notification]!++;
  expect(seen.every((c) => c === 1)).toBe(true);
}

describe('ResendBuffer', () => {
  it('error in the middle of a burst of 10,000: rejected reported, before delivered once, after resent once', () => {
    const rb = new ResendBuffer<number>({ capacity: 10_000 });
    for (let i = 0; i < 10_000; i++) expect(rb.append(i + 1, i)).toBeUndefined();
    const out = rb.onError(8, 5_001);
    expect(out.failed).toMatchObject({ identifier: 5_001, notification: 5_000 });
    expect(out.delivered.length).toBe(5_000);
    expect(out.resend.length).toBe(4_999);
    expect(ids(out.delivered)).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
    expect(ids(out.resend)).toEqual(Array.from({ length: 4_999 }, (_, i) => i + 5_002));
    expect(out.bufferTooSmall).toBe(false);
    exactlyOnce(10_000, out.delivered, out.resend, [out.failed!]);
    expect(rb.size).toBe(0);
  });

  it('with the default cap of 1000, evicted entries count as delivered, exactly once overall', () => {
    const rb = new ResendBuffer<number>();
    expect(rb.capacity).toBe(1000);
    const evicted: ResendEntry<number>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const e = rb.append(i, i);
      if (e) evicted.push(e);
    }
    expect(evicted.length).toBe(9_000);
    const out = rb.onError(8, 9_500);
    expect(out.failed?.notification).toBe(9_500);
    exactlyOnce(10_000, evicted, out.delivered, out.resend, [out.failed!]);
    expect(out.resend.length).toBe(499);
  });

  it('status 10: the identifier is the last processed OK; everything after is resent, none failed', () => {
    const rb = new ResendBuffer<string>();
    for (let i = 1; i <= 10; i++) rb.append(i, `n${i}`);
    const out = rb.onError(10, 7);
    expect(out.failed).toBeUndefined();
    expect(ids(out.delivered)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ids(out.resend)).toEqual([8, 9, 10]);
    expect(out.bufferTooSmall).toBe(false);
  });

  it('unknown identifier -> bufferTooSmall, everything remaining is resent', () => {
    const rb = new ResendBuffer<number>({ capacity: 3 });
    for (let i = 1; i <= 5; i++) rb.append(i, i);
    const out = rb.onError(8, 1); // evicted already
    expect(out.bufferTooSmall).toBe(true);
    expect(out.failed).toBeUndefined();
    expect(out.delivered).toEqual([]);
    expect(ids(out.resend)).toEqual([3, 4, 5]);
    expect(new ResendBuffer().onError(10, 5).bufferTooSmall).toBe(true);
  });

  it('works across the 2^32 identifier wrap', () => {
    const rb = new ResendBuffer<number>();
    for (let i = 0; i < 6; i++) rb.append((2 ** 32 - 3 + i) >>> 0, i);
    const out = rb.onError(7, 1);
    expect(ids(out.delivered)).toEqual([2 ** 32 - 3, 2 ** 32 - 2, 2 ** 32 - 1, 0]);
    expect(out.failed?.notification).toBe(4);
    expect(ids(out.resend)).toEqual([2]);
  });

  it('drainOlderThan marks entries delivered once no error arrived within the window', () => {
    let now = 1_000;
    const rb = new ResendBuffer<number>({ now: () => now });
    rb.append(1, 1);
    now = 1_100;
    rb.append(2, 2);
    now = 1_250;
    rb.append(3, 3);
    now = 1_300;
    expect(ids(rb.drainOlderThan(200))).toEqual([1, 2]);
    expect(rb.drainOlderThan(200)).toEqual([]);
    expect(rb.size).toBe(1);
    expect(rb.onError(8, 1).bufferTooSmall).toBe(true); // 1 was already counted delivered
  });

  it('removeAll returns the tail for a socket closed without an error packet', () => {
    const rb = new ResendBuffer<number>({ capacity: 4 });
    for (let i = 1; i <= 6; i++) rb.append(i, i);
    expect(ids(rb.removeAll())).toEqual([3, 4, 5, 6]);
    expect(rb.size).toBe(0);
  });

  it('refuses a bad capacity or identifier', () => {
    expect(() => new ResendBuffer({ capacity: 0 })).toThrow(ApnsValidationError);
    expect(() => new ResendBuffer().append(-1, 0)).toThrow(/identifier/);
  });
});
