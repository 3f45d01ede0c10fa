/**
 * The committed dashboard is what the generator builds (`npm run dashboards`), it is importable (the
 * DS_PROMETHEUS input, the `app` and `instance` variables) and its panels read only series that exist: the
 * catalogue's metrics and the recording rules. Its queries are run against a real Prometheus by
 * test/src/observability/prometheus.test.ts.
 */
import { buildDashboard, dashboardJson, ROWS } from '@pushfleet/deploy';
import { describe, expect, it } from 'vitest';
import { knownSeries, readText, seriesIn } from './deploy-files.js';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

const FILE = 'deploy/grafana/dashboards/pushfleet.json';
/** Grafana's interpolation of the `datasource` variable (not a JS template). */
const DATASOURCE_VARIABLE = '$' + '{datasource}';

describe('deploy/grafana dashboard', () => {
  it('is committed exactly as the generator writes it (run `npm run dashboards` after changing it)', () => {
    expect(readText(FILE)).toBe(dashboardJson());
  });

  it('is importable: asks for a Prometheus data source and filters by app and instance', () => {
    const d = JSON.parse(readText(FILE)) as {
      __inputs: { name: string; type: string; pluginId: string }[];
      templating: { list: { name: string; type: string; includeAll?: boolean; query?: unknown }[] };
      panels: Panel[];
      uid: string;
    };
    expect(d.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.app).toMatchObject({ type: 'query', includeAll: true });
    expect(vars.instance).toMatchObject({ type: 'query', includeAll: true });
    const panels = d.panels.filter((p) => p.type !== 'row');
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(DATASOURCE_VARIABLE);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.expr, p.title).toMatch(/app=~"\$app"|instance=~"\$instance"/);
        expect(t.datasource?.uid).toBe(DATASOURCE_VARIABLE);
      }
    }
  });

  it('has the panels an SRE reads in an incident, each reading only series that exist', () => {
    const panels = (buildDashboard().panels as Panel[]).filter((p) => p.type !== 'row');
    const titles = panels.map((p) => p.title);
    for (const title of [
      'Throughput by outcome',
      'Success ratio',
      'Failures by reason',
      'Enqueue to verdict p50 / p99',
      'Enqueue to verdict (heatmap)',
      'Queue depth by state',
      'Oldest waiting job',
      'Dead tokens per hour',
      'Dead-letter list',
      'Connections open',
      'GOAWAYs and reconnects',
      'Resends (possible duplicates)',
      'Saturation (in flight ÷ capacity)',
      'Event-loop lag p99',
    ])
      expect(titles).toContain(title);
    expect(panels.find((p) => p.title.includes('heatmap'))?.type).toBe('heatmap');
    const known = knownSeries();
    for (const row of ROWS)
      for (const spec of row.panels)
        for (const q of spec.queries)
          for (const s of seriesIn(q.expr)) expect(known.has(s), `${spec.title}: ${s}`).toBe(true);
  });
});
