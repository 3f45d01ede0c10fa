/**
 * The shared HTML report writer (test/bench/report/html-report.ts): a page with one ECharts SVG per chart, the
 * summary table, markers, no external resource; the JSON beside it as given; and, where Debian's chromium is
 * installed, the page rendered by a real headless browser (a screenshot goes to reports/html-report.png).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { type HtmlReport, renderHtmlReport, writeReport } from '../../bench/report/html-report.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) =>
  existsSync(p),
);
const REPORTS = fileURLToPath(new URL('../../../reports/', import.meta.url));
if (!CHROMIUM)
  console.warn('html-report.test: browser case skipped, no chromium (apt-get install -y chromium)');

const report: HtmlReport = {
  title: 'Soak <test> & co',
  summary: { verdict: 'pass', 'rss growth %': 3.2, warmed: true },
  charts: [
    {
      title: 'Worker memory',
      yLabel: 'MB',
      series: [
        {
          name: 'rss-series',
          points: [
            [0, 120],
            [10, 125],
            [20, 124],
            [30, 126],
          ],
        },
        {
          name: 'heap-series',
          points: [
            [0, 40],
            [10, 42],
            [20, 41],
            [30, 43],
          ],
        },
      ],
      markers: [{ at: 15, label: 'warm-up-ends' }],
    },
    {
      title: 'p99 latency',
      yLabel: 'ms',
      series: [
        {
          name: 'p99-series',
          points: [
            [0, 30],
            [10, 32],
          ],
        },
      ],
    },
  ],
};

describe('renderHtmlReport', () => {
  it('draws one SVG per chart with its series, legend and markers, and links nothing outside the page', () => {
    const html = renderHtmlReport(report);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(2);
    for (const name of ['rss-series', 'heap-series', 'p99-series', 'warm-up-ends', 'Worker memory', 'MB']) {
      expect(html).toContain(name);
    }
    // Each data series is a drawn path (ECharts' line), not only a legend entry.
    expect((html.match(/<path /g) ?? []).length).toBeGreaterThan(6);
    expect(html).toContain('<title>Soak &lt;test&gt; &amp; co</title>');
    expect(html).toMatch(/<th>rss growth %<\/th><td>3.2<\/td>/);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it('refuses a point that is not a finite number, naming where it is', () => {
    const bad: HtmlReport = {
      ...report,
      charts: [
        {
          title: 'x',
          yLabel: 'y',
          series: [
            {
              name: 's',
              points: [
                [0, 1],
                [10, Number.NaN],
              ],
            },
          ],
        },
      ],
    };
    expect(() => renderHtmlReport(bad)).toThrow(
      /charts\[0\]\.series\[0\]\.points\[1\]: x and y must be finite/,
    );
  });
});

describe('writeReport', () => {
  it('writes the page and the JSON beside it, and returns both paths', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pushfleet-report-')), 'nested');
    const json = { samples: [{ t: 0, rss: 120 }], verdict: 'pass' };
    const { htmlPath, jsonPath } = await writeReport(dir, 'soak-2026-12-01', report, json);
    expect(htmlPath).toBe(join(dir, 'soak-2026-12-01.html'));
    expect(jsonPath).toBe(join(dir, 'soak-2026-12-01.json'));
    const html = readFileSync(htmlPath, 'utf8');
    expect(html.match(/<svg[\s>]/g)).toHaveLength(2);
    expect(html).toContain('<h1>Soak &lt;test&gt; &amp; co</h1>');
    expect(JSON.parse(readFileSync(jsonPath, 'utf8'))).toEqual(json);
    await expect(writeReport(dir, '../escape', report, json)).rejects.toThrow(/baseName: .* plain file name/);
  });

  it.skipIf(!CHROMIUM)(
    'renders in headless Chromium: both charts drawn with their lines',
    { timeout: 60_000 },
    async () => {
      const { htmlPath } = await writeReport(REPORTS, 'html-report', report, {});
      const browser = await puppeteer.launch({
        executablePath: CHROMIUM!,
        headless: true,
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      });
      try {
        const page = await browser.newPage();
        const external: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith('file:')) external.push(r.url());
        });
        await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
        const boxes = await page.$$eval('svg', (svgs) =>
          svgs.map((s) => {
            const r = s.getBoundingClientRect();
            return { width: r.width, height: r.height, paths: s.querySelectorAll('path').length };
          }),
        );
        expect(boxes).toHaveLength(2);
        for (const b of boxes) {
          expect(b.width).toBeGreaterThan(500);
          expect(b.height).toBeGreaterThan(200);
          expect(b.paths).toBeGreaterThan(2);
        }
        expect(external).toEqual([]);
        await page.screenshot({ path: join(REPORTS, 'html-report.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    },
  );
});
