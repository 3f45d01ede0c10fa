/**
 * An HTML report with charts, for the soak (`npm run soak`) and the chaos suite: one self-contained page (no
 * script, no link: each chart is an SVG drawn by Apache ECharts' server-side renderer and inlined), so it opens
 * offline and in CI artefacts, plus a JSON file beside it with the run's raw figures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as echarts from 'echarts';

/** One line on a chart. x: seconds since the run started. */
export interface ChartSeries {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [x: number, y: number]>;
}
/** A vertical line at x = at seconds (e.g. a fault injected, the end of the warm-up). */
export interface ChartMarker {
  readonly at: number;
  readonly label: string;
}
export interface ReportChart {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly markers?: readonly ChartMarker[];
}
export interface HtmlReport {
  readonly title: string;
  /** Shown as a two-column table above the charts, in insertion order. */
  readonly summary: Readonly<Record<string, string | number | boolean>>;
  readonly charts: readonly ReportChart[];
}

/** Size of each chart's SVG in CSS pixels (the page is read on a laptop screen or printed). */
export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 340;

/** The page as one self-contained HTML string (charts drawn by the chart library, embedded; opens offline). */
export function renderHtmlReport(report: HtmlReport): string {
  report.charts.forEach(checkChart);
  const rows = Object.entries(report.summary)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('\n');
  const charts = report.charts.map((c) => `<figure>\n${renderChartSvg(c)}\n</figure>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(report.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.75rem; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; font-weight: 600; }
figure { margin: 0 0 2rem 0; }
</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<table>
${rows}
</table>
${charts}
</body>
</html>
`;
}

/** Write <dir>/<baseName>.html and <dir>/<baseName>.json (the json argument as is); returns both paths. */
export async function writeReport(
  dir: string,
  baseName: string,
  report: HtmlReport,
  json: unknown,
): Promise<{ htmlPath: string; jsonPath: string }> {
  if (!/^[\w.-]+$/.test(baseName) || baseName.startsWith('.')) {
    throw new TypeError(`baseName: ${JSON.stringify(baseName)} must be a plain file name ([A-Za-z0-9_.-])`);
  }
  const html = renderHtmlReport(report);
  await mkdir(dir, { recursive: true });
  const htmlPath = join(dir, `${baseName}.html`);
  const jsonPath = join(dir, `${baseName}.json`);
  await writeFile(htmlPath, html);
  await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  return { htmlPath, jsonPath };
}

/** One chart as an SVG string: ECharts' SSR mode needs no DOM and no browser. */
function renderChartSvg(chart: ReportChart): string {
  const instance = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
  });
  try {
    instance.setOption({
      animation: false,
      title: { text: chart.title, left: 'center', top: 6, textStyle: { fontSize: 15 } },
      legend: { top: 34, data: chart.series.map((s) => s.name) },
      grid: { left: 70, right: 30, top: 76, bottom: 50 },
      xAxis: { type: 'value', name: 'seconds', nameLocation: 'middle', nameGap: 28, min: 0 },
      yAxis: { type: 'value', name: chart.yLabel, nameLocation: 'middle', nameGap: 52, scale: true },
      series: [
        ...chart.series.map((s) => ({
          type: 'line' as const,
          name: s.name,
          showSymbol: s.points.length <= 60,
          data: s.points.map(([x, y]) => [x, y]),
        })),
        // The markers ride on a series of their own, so a chart with no data still shows them.
        {
          type: 'line' as const,
          name: '',
          data: [],
          markLine: {
            symbol: 'none',
            silent: true,
            lineStyle: { type: 'dashed', color: '#c23531' },
            label: { formatter: '{b}', position: 'insideEndTop' },
            data: (chart.markers ?? []).map((m) => ({ name: m.label, xAxis: m.at })),
          },
        },
      ],
    });
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}

/** Bad input named by its place in the report, not a blank or misleading chart. */
function checkChart(chart: ReportChart, c: number): void {
  chart.series.forEach((s, i) => {
    s.points.forEach(([x, y], p) => {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new TypeError(
          `charts[${c}].series[${i}].points[${p}]: x and y must be finite numbers, got [${x}, ${y}] ` +
            `(chart ${JSON.stringify(chart.title)}, series ${JSON.stringify(s.name)})`,
        );
      }
    });
  });
  (chart.markers ?? []).forEach((m, i) => {
    if (!Number.isFinite(m.at)) {
      throw new TypeError(`charts[${c}].markers[${i}].at: must be a finite number of seconds, got ${m.at}`);
    }
  });
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );
}
