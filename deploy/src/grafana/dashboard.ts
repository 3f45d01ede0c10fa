/**
 * The pushfleet dashboard, built with Grafana's foundation SDK from the panel specs (panels.ts) and
 * wrapped for import: `__inputs` asks for a Prometheus data source (DS_PROMETHEUS) on import, a
 * `datasource` variable lets a provisioned copy (compose, Kubernetes) use the default one, and `app` and
 * `instance` variables filter every panel.
 *
 * `npm run dashboards` writes it to deploy/grafana/dashboards/pushfleet.json; a test checks the committed
 * file equals what this builds.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  type Dashboard as DashboardModel,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { METRIC_NAMES } from '@pushfleet/metrics';
import { type PanelSpec, ROWS } from './panels.js';

export const DASHBOARD_UID = 'pushfleet-overview';

/** Grafana's `${name}` interpolation (a dashboard variable or an import input), not a JS template. */
const grafanaVariable = (name: string) => '$' + '{' + name + '}';

/** Every panel's data source: the `datasource` variable, whose default is the import-time input. */
const DATASOURCE = { type: 'prometheus', uid: grafanaVariable('datasource') } as const;

function target(
  expr: string,
  legend: string | undefined,
  refId: string,
  format?: prometheus.PromQueryFormat,
) {
  const q = new prometheus.DataqueryBuilder().expr(expr).refId(refId).datasource(DATASOURCE).range();
  if (legend) q.legendFormat(legend);
  if (format) q.format(format);
  return q;
}

/** What every panel builder of the SDK has in common. */
interface CommonPanelBuilder<P> {
  title(title: string): P;
  description(description: string): P;
  datasource(datasource: typeof DATASOURCE): P;
  unit(unit: string): P;
  height(h: number): P;
  span(w: number): P;
  withTarget(target: prometheus.DataqueryBuilder): P;
}

/** Title, description, data source, unit, size and one target per query, on any kind of panel. */
function describePanel<P extends CommonPanelBuilder<P>>(
  p: P,
  spec: PanelSpec,
  height: number,
  format?: prometheus.PromQueryFormat,
): P {
  p.title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .height(height)
    .span(spec.width ?? 8);
  spec.queries.forEach((q, i) => {
    p.withTarget(target(q.expr, q.legend, 'ABCDEFGH'[i]!, format));
  });
  return p;
}

function panel(spec: PanelSpec) {
  if (spec.kind === 'stat')
    return describePanel(new stat.PanelBuilder(), spec, 7)
      .graphMode(common.BigValueGraphMode.Area)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']));
  if (spec.kind === 'heatmap')
    return describePanel(new heatmap.PanelBuilder(), spec, 8, prometheus.PromQueryFormat.Heatmap)
      .calculate(false)
      .color(
        new heatmap.HeatmapColorOptionsBuilder()
          .mode(heatmap.HeatmapColorMode.Scheme)
          .scheme('Oranges')
          .scale(heatmap.HeatmapColorScale.Exponential)
          .steps(64),
      );
  const p = describePanel(new timeseries.PanelBuilder(), spec, 8)
    .min(0)
    .fillOpacity(spec.stacked ? 30 : 10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    );
  if (spec.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  return p;
}

/** The dashboard model, as the SDK builds it. */
export function buildDashboardModel(): DashboardModel {
  const builder = new DashboardBuilder('pushfleet')
    .uid(DASHBOARD_UID)
    .description(
      'APNs delivery fleet: throughput, failures by reason, latency, queue backlog, connections, worker saturation.',
    )
    .tags(['pushfleet', 'apns'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(
      new DatasourceVariableBuilder('datasource')
        .label('Data source')
        .type('prometheus')
        .current({
          selected: true,
          text: grafanaVariable('DS_PROMETHEUS'),
          value: grafanaVariable('DS_PROMETHEUS'),
        }),
    )
    .withVariable(
      new QueryVariableBuilder('app')
        .label('App')
        .datasource(DATASOURCE)
        .query(`label_values(${METRIC_NAMES.sendLimit}, app)`)
        .definition(`label_values(${METRIC_NAMES.sendLimit}, app)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .current({ selected: true, text: 'All', value: '$__all' }),
    )
    .withVariable(
      new QueryVariableBuilder('instance')
        .label('Worker')
        .datasource(DATASOURCE)
        .query(`label_values(${METRIC_NAMES.sendLimit}{app=~"$app"}, instance)`)
        .definition(`label_values(${METRIC_NAMES.sendLimit}{app=~"$app"}, instance)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .current({ selected: true, text: 'All', value: '$__all' }),
    );
  for (const row of ROWS) {
    builder.withRow(new RowBuilder(row.title));
    for (const spec of row.panels) builder.withPanel(panel(spec));
  }
  return builder.build();
}

/** The importable JSON object: the model plus Grafana's export wrapper (`__inputs`, `__requires`). */
export function buildDashboard(): Record<string, unknown> {
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        description:
          'The Prometheus that scrapes the pushfleet workers and evaluates deploy/prometheus/rules.',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '11.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
      { type: 'panel', id: 'stat', name: 'Stat', version: '' },
      { type: 'panel', id: 'heatmap', name: 'Heatmap', version: '' },
    ],
    ...buildDashboardModel(),
  };
}

/** The file's text: stable key order as built, two-space indent, final newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
