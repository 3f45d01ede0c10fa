/**
 * The dashboard and the rules against a real Prometheus: a worker delivers to the simulator over TLS (with
 * GOAWAYs, stream resets, 503s, 20 ms latency and dead tokens), Prometheus scrapes it every second and
 * evaluates deploy/prometheus/rules; then every panel query of the dashboard and every recording rule must
 * return data, and the delivered counter and a histogram quantile must match what was sent.
 *
 * The API has no /metrics yet (it is being rewritten): only the worker is scraped.
 */
import { ROWS } from '@pushfleet/deploy';
import { createLogger } from '@pushfleet/log';
import { waitForJobs } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import { recordingRules, repoPath } from '../deploy/deploy-files.js';
import { startTestFleet, TOPIC } from '../helpers/fleet.js';
import { findPrometheus, startPrometheus } from '../helpers/prometheus-server.js';

const SENT = 600;
const DEAD = 30;
const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'c3'.repeat(28)}`;

/** What Grafana substitutes before it sends a panel's query: "All" for both variables, a rate window. */
const asGrafanaSends = (expr: string) =>
  expr.replaceAll('$app', '.*').replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m');

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** histogram_quantile over cumulative buckets, as Prometheus computes it (linear within a bucket). */
function quantileFromBuckets(q: number, buckets: [number, number][]): number {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)![1];
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

describe.skipIf(!findPrometheus())('a real Prometheus scraping a delivering worker', () => {
  it('answers every dashboard panel and every recording rule with data, and counts what was sent', async () => {
    await using fleet = await startTestFleet({
      simulator: {
        faults: { seed: 7, latencyMs: 20, goAwayAfterStreams: 120, resetRate: 0.02, rate503: 0.02 },
      },
      worker: {
        processMetrics: true,
        queueDepthCacheMs: 500,
        log: createLogger({ name: 'worker', level: 'warn' }),
        retryPolicy: {
          baseDelayMs: 50,
          maxDelayMs: 200,
          floorMs: 20,
          maxAgeMs: 60_000,
          noStoreHorizonMs: 60_000,
        },
      },
    });
    const target = new URL(fleet.worker.metricsUrl).host;
    await using prom = await startPrometheus({
      jobs: { 'pushfleet-worker': [target] },
      ruleFiles: [
        repoPath('deploy/prometheus/rules/pushfleet-recording.yaml'),
        repoPath('deploy/prometheus/rules/pushfleet-alerts.yaml'),
      ],
    });
    await until(
      async () => (await prom.query('up{job="pushfleet-worker"} == 1')).length === 1,
      'the first scrape',
    );

    for (let i = 0; i < DEAD; i++) fleet.sim.devices.markDead(tokenOf(i));
    const { jobIds } = await fleet.producer.sendMany(
      Array.from({ length: SENT }, (_, i) => ({
        token: tokenOf(i),
        topic: TOPIC,
        payload: { aps: { alert: `${i}` } },
      })),
    );
    const outcome = await waitForJobs(fleet.producer.queue, jobIds, { timeoutMs: 40_000 });
    expect(outcome.missing).toEqual([]);

    // Prometheus has the final counts once a scrape after the last verdict has landed.
    const sumOf = async (expr: string) => Number((await prom.query(expr))[0]?.value[1] ?? Number.NaN);
    await until(
      async () => (await sumOf('sum(pushfleet_notification_end_to_end_seconds_count)')) === SENT,
      'every final outcome to be scraped',
    );
    expect(await sumOf('sum(pushfleet_notifications_total{outcome="delivered"})')).toBe(SENT - DEAD);
    expect(await sumOf('sum(pushfleet_notifications_total{outcome="token-invalid"})')).toBe(DEAD);
    expect(await sumOf('sum(pushfleet_invalid_tokens_recorded_total)')).toBe(DEAD);

    // The round-trip p50 Prometheus computes from the scraped buckets is the worker's own, and at least the
    // simulator's 20 ms hold.
    const text = await (await fetch(fleet.worker.metricsUrl)).text();
    const buckets = new Map<number, number>();
    for (const line of text.split('\n')) {
      const m =
        /^pushfleet_apns_round_trip_seconds_bucket\{le="([^"]+)",[^}]*outcome="delivered"\} (\d+)/.exec(line);
      if (!m) continue;
      const le = m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    }
    const p50 = await sumOf(
      'histogram_quantile(0.5, sum by (le) (pushfleet_apns_round_trip_seconds_bucket{outcome="delivered"}))',
    );
    expect(p50).toBeCloseTo(quantileFromBuckets(0.5, [...buckets]), 9);
    expect(p50).toBeGreaterThanOrEqual(0.02);
    expect(p50).toBeLessThan(0.5);

    // The faults happened, and the metrics saw them.
    expect(await sumOf('sum(pushfleet_resends_total)')).toBeGreaterThan(0);
    expect(await sumOf('sum(pushfleet_apns_connections_closed_total{reason="goaway"})')).toBeGreaterThan(0);
    expect(await sumOf('sum(pushfleet_retries_total{reason="ServiceUnavailable"})')).toBeGreaterThan(0);
    if (process.env.PUSHFLEET_TEST_REPORT)
      process.stdout.write(
        `${JSON.stringify({
          p50,
          resends: await sumOf('sum(pushfleet_resends_total)'),
          goaways: await sumOf('sum(pushfleet_apns_connections_closed_total{reason="goaway"})'),
          retries: await sumOf('sum(pushfleet_retries_total)'),
          delivered: await sumOf('sum(pushfleet_notifications_total{outcome="delivered"})'),
        })}\n`,
      );

    // Rate windows need two samples of every series: wait for two more rule evaluations.
    await new Promise((r) => setTimeout(r, 2_500));
    const empty: string[] = [];
    let queries = 0;
    for (const row of ROWS)
      for (const panel of row.panels)
        for (const q of panel.queries) {
          queries++;
          const result = await prom.query(asGrafanaSends(q.expr));
          if (result.length === 0) empty.push(`${panel.title}: ${q.expr}`);
        }
    for (const r of recordingRules()) {
      queries++;
      if ((await prom.query(r.record!)).length === 0) empty.push(`recording rule ${r.record}`);
    }
    expect(empty).toEqual([]);
    expect(queries).toBeGreaterThan(35);
    if (process.env.PUSHFLEET_TEST_REPORT) process.stdout.write(`queries answered: ${queries}\n`);

    // The dashboard's variables resolve (Grafana's label_values is the label values API).
    const apps = await fetch(
      `${prom.url}/api/v1/label/app/values?match[]=pushfleet_send_concurrency_limit`,
    ).then((r) => r.json() as Promise<{ data: string[] }>);
    expect(apps.data).toEqual([fleet.app]);
  }, 90_000);
});

if (!findPrometheus())
  it.skip('prometheus is not installed: the dashboard and rules were not run against it (apt-get install -y prometheus)', () => {});
