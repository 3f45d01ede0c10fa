import { describe, expect, it } from 'vitest';
import { PacedDeliveries } from './paced-deliveries.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('PacedDeliveries', () => {
  it('settles the first slice at once and one slice per turn after, in order', async () => {
    const settled: number[] = [];
    const paced = new PacedDeliveries<number>((n) => settled.push(n), 1000);
    paced.add(Array.from({ length: 2500 }, (_, i) => i));
    expect(settled).toHaveLength(1000);
    // Added while a slice is pending: after the ones before it, not sooner.
    paced.add([2500, 2501]);
    await nextTurn();
    expect(settled).toHaveLength(2000);
    await nextTurn();
    expect(settled).toEqual(Array.from({ length: 2502 }, (_, i) => i));
    await nextTurn();
    expect(settled).toHaveLength(2502); // nothing settled twice
  });

  it('settles a small batch within add, with nothing left for later', () => {
    const settled: string[] = [];
    const paced = new PacedDeliveries<string>((s) => settled.push(s));
    paced.add(['a', 'b']);
    paced.add(['c']);
    expect(settled).toEqual(['a', 'b', 'c']);
  });
});
