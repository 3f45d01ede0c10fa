import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellCounter, CellHistogram } from './cell-metrics.js';

const LABELS = ['app', 'outcome'] as const;
const BUCKETS = [0.001, 0.01, 0.1, 1, 10];

/** A deterministic spread of values across every bucket, including above the last and on its bounds. */
function values(n: number): number[] {
  let x = 7;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 48271) % 2147483647;
    return i % 10 === 0 ? BUCKETS[i % BUCKETS.length]! : (x / 2147483647) * 20;
  });
}

describe('CellHistogram', () => {
  it('exposes the same text as prom-client’s Histogram for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const h = new CellHistogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [ours],
    });
    const p = new Histogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [i, v] of values(500).entries()) {
      const labels = { app: 'a', outcome: i % 3 === 0 ? 'rejected' : 'delivered' };
      if (labels.outcome === 'delivered') h.cell(labels).observe(v);
      else h.observe(labels, v);
      p.observe(labels, v);
    }
    const text = await ours.metrics();
    expect(text).toContain('x_seconds_count{app="a",outcome="rejected"} 167');
    expect(text).toBe(await theirs.metrics());
  });

  it('answers one cell per label set, whatever the order of the keys', () => {
    const h = new CellHistogram({
      name: 'y_seconds',
      help: 'h',
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [],
    });
    expect(h.cell({ outcome: 'delivered', app: 'a' })).toBe(h.cell({ app: 'a', outcome: 'delivered' }));
    expect(h.cell({ app: 'a', outcome: 'rejected' })).not.toBe(h.cell({ app: 'a', outcome: 'delivered' }));
  });

  it('refuses a missing or unknown label, a non-finite value and an `le` label, naming the problem', () => {
    const h = new CellHistogram({
      name: 'z_seconds',
      help: 'h',
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [],
    });
    expect(() => h.cell({ app: 'a' } as never)).toThrow(
      'z_seconds: label "outcome" must be a string; got undefined',
    );
    expect(() => h.cell({ app: 'a', outcome: 'b', extra: 'c' } as never)).toThrow(
      'z_seconds: unknown label "extra"',
    );
    expect(() => h.observe({ app: 'a', outcome: 'b' }, Number.NaN)).toThrow(
      'must be a finite number; got NaN',
    );
    expect(
      () => new CellHistogram({ name: 'w', help: 'h', labelNames: ['le'], buckets: BUCKETS, registers: [] }),
    ).toThrow('w: le is a reserved label');
  });

  it('is emptied by the registry’s resetMetrics', async () => {
    const registry = new Registry();
    const h = new CellHistogram({
      name: 'r_seconds',
      help: 'h',
      labelNames: LABELS,
      buckets: BUCKETS,
      registers: [registry],
    });
    h.observe({ app: 'a', outcome: 'b' }, 1);
    registry.resetMetrics();
    expect((await h.get()).values).toEqual([]);
  });
});

describe('CellCounter', () => {
  it('exposes the same text as prom-client’s Counter for the same increments', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const c = new CellCounter({ name: 'n_total', help: 'c', labelNames: LABELS, registers: [ours] });
    const p = new Counter({ name: 'n_total', help: 'c', labelNames: LABELS, registers: [theirs] });
    const cell = c.cell({ app: 'a', outcome: 'delivered' });
    for (let i = 0; i < 100; i++) {
      cell.inc();
      p.inc({ app: 'a', outcome: 'delivered' });
    }
    c.inc({ app: 'a', outcome: 'rejected' }, 2.5);
    p.inc({ app: 'a', outcome: 'rejected' }, 2.5);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('n_total{app="a",outcome="delivered"} 100');
  });

  it('refuses a negative increment', () => {
    const c = new CellCounter({ name: 'm_total', help: 'c', labelNames: LABELS, registers: [] });
    expect(() => c.inc({ app: 'a', outcome: 'b' }, -1)).toThrow('must be finite and ≥ 0; got -1');
  });
});
