/**
 * Counters and histograms for the per-notification hot path. A label set is bound once (`cell(labels)`), and
 * an observation on the cell is a bucket search and a few additions. prom-client's `inc`/`observe` build a
 * label object, validate it and hash it into a string on every call: with three per notification that was
 * 10-19% of the worker's CPU (bench:e2e, metrics on against off; docs/design/benchmark-notes.md).
 *
 * Both register on a prom-client Registry like its own metrics and expose the same text (cell-metrics.test.ts
 * compares them line for line), so `/metrics`, dashboards and alerts see no difference.
 */
import type { Registry } from 'prom-client';

type Labels<L extends string> = Readonly<Record<L, string>>;

interface CellMetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

/** What prom-client's Registry reads from a metric (`get()`), in its own shape. */
interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

/** One label set of a CellCounter. */
export interface CounterCell {
  inc(by?: number): void;
}

/** One label set of a CellHistogram. */
export interface HistogramCell {
  observe(value: number): void;
}

/** The cell of `labels`, made on first use; the key is the values in `labelNames` order. */
abstract class CellMetric<L extends string, C> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  readonly #labelNames: readonly L[];
  #cells = new Map<string, { labels: Labels<L>; cell: C }>();

  constructor(config: CellMetricConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.#labelNames = config.labelNames;
    // The Registry reads name, help, type, get() and reset(); its Metric type also asks for prom-client's
    // labels()/remove(), which a cell metric does not offer, hence the cast.
    for (const registry of config.registers) registry.registerMetric(this as never);
  }

  /** Bind `labels` once and keep the cell: the hot path's way in. */
  cell(labels: Labels<L>): C {
    let key = '';
    for (const name of this.#labelNames) {
      const value = labels[name];
      if (typeof value !== 'string')
        throw new TypeError(`${this.name}: label "${name}" must be a string; got ${String(value)}`);
      key += `${value}\u0000`;
    }
    const known = this.#cells.get(key);
    if (known) return known.cell;
    for (const name of Object.keys(labels))
      if (!this.#labelNames.includes(name as L)) throw new TypeError(`${this.name}: unknown label "${name}"`);
    // A copy in labelNames order: the exposition lists labels in one order whatever the caller's was.
    const own = Object.fromEntries(this.#labelNames.map((n) => [n, labels[n]])) as Labels<L>;
    const cell = this.newCell();
    this.#cells.set(key, { labels: own, cell });
    return cell;
  }

  reset(): void {
    this.#cells = new Map();
  }

  protected abstract newCell(): C;
  protected abstract values(labels: Labels<L>, cell: C): MetricValue[];

  async get() {
    const values: MetricValue[] = [];
    for (const { labels, cell } of this.#cells.values()) values.push(...this.values(labels, cell));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

class CounterValue implements CounterCell {
  value = 0;
  inc(by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by))
      throw new TypeError(`counter increment must be finite and ≥ 0; got ${by}`);
    this.value += by;
  }
}

export class CellCounter<L extends string> extends CellMetric<L, CounterValue> {
  readonly type = 'counter';

  /** The general form, as prom-client's: finds the cell each call (use `cell()` where it runs per notification). */
  inc(labels: Labels<L>, by = 1): void {
    this.cell(labels).inc(by);
  }

  protected newCell(): CounterValue {
    return new CounterValue();
  }

  protected values(labels: Labels<L>, cell: CounterValue): MetricValue[] {
    return [{ value: cell.value, labels: { ...labels } }];
  }
}

class HistogramValue implements HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram value must be a finite number; got ${value}`);
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++)
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    this.sum += value;
    this.count++;
  }
}

export class CellHistogram<L extends string> extends CellMetric<L, HistogramValue> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(config: CellMetricConfig<L> & { readonly buckets: readonly number[] }) {
    if ((config.labelNames as readonly string[]).includes('le'))
      throw new Error(`${config.name}: le is a reserved label`);
    super(config);
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /** The general form, as prom-client's: finds the cell each call (use `cell()` where it runs per notification). */
  observe(labels: Labels<L>, value: number): void {
    this.cell(labels).observe(value);
  }

  protected newCell(): HistogramValue {
    return new HistogramValue(this.#bounds);
  }

  protected values(labels: Labels<L>, cell: HistogramValue): MetricValue[] {
    const bucket = `${this.name}_bucket`;
    const out: MetricValue[] = [];
    let below = 0;
    cell.bounds.forEach((le, i) => {
      below += cell.counts[i]!;
      out.push({ value: below, labels: { le, ...labels }, metricName: bucket });
    });
    out.push({ value: cell.count, labels: { le: '+Inf', ...labels }, metricName: bucket });
    out.push({ value: cell.sum, labels: { ...labels }, metricName: `${this.name}_sum` });
    out.push({ value: cell.count, labels: { ...labels }, metricName: `${this.name}_count` });
    return out;
  }
}
