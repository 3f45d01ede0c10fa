import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createFleetMetrics, METRIC_NAMES } from './catalogue.js';

describe('createFleetMetrics', () => {
  it('exposes every metric in Prometheus text format with its labels', async () => {
    const registry = new Registry();
    const m = createFleetMetrics(registry);
    m.notifications.inc({ app: 'demo', transport: 'http2', outcome: 'delivered', reason: '' }, 3);
    m.notifications.inc({
      app: 'demo',
      transport: 'http2',
      outcome: 'token-invalid',
      reason: 'Unregistered',
    });
    m.apnsRoundTrip.observe({ app: 'demo', transport: 'http2', outcome: 'delivered' }, 0.004);
    const text = await registry.metrics();
    expect(registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE pushfleet_notifications_total counter');
    expect(text).toContain(
      'pushfleet_notifications_total{app="demo",transport="http2",outcome="delivered",reason=""} 3',
    );
    expect(text).toContain(
      'pushfleet_notifications_total{app="demo",transport="http2",outcome="token-invalid",reason="Unregistered"} 1',
    );
    expect(text).toContain(
      'pushfleet_apns_round_trip_seconds_bucket{le="0.005",app="demo",transport="http2",outcome="delivered"} 1',
    );
    expect(text).toContain(
      'pushfleet_apns_round_trip_seconds_bucket{le="0.0025",app="demo",transport="http2",outcome="delivered"} 0',
    );
  });

  it('follows the naming rules: prefix, snake_case, _total counters, _seconds histograms', async () => {
    const registry = new Registry();
    createFleetMetrics(registry);
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.map((x) => x.name).sort()).toEqual(Object.values(METRIC_NAMES).sort());
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^pushfleet_[a-z0-9_]+$/);
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      if (String(metric.type) === 'histogram') expect(metric.name).toMatch(/_seconds$/);
    }
  });

  it('refuses to register twice on one registry', () => {
    const registry = new Registry();
    createFleetMetrics(registry);
    expect(() => createFleetMetrics(registry)).toThrow(/already been registered/);
  });
});

describe('docs/metrics.md', () => {
  it('documents every metric of the catalogue in a table row, and no metric the catalogue lacks', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url)), 'utf8');
    const documented = [...doc.matchAll(/^\| `(pushfleet_[a-z0-9_]+)` +\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(METRIC_NAMES).sort());
  });
});
