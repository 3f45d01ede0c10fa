import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createFleetMetrics } from './catalogue.js';
import { createWebhookMetrics } from './webhook-catalogue.js';

describe('the worker registry', () => {
  it('holds the fleet metrics and the webhook metrics together (a worker serving an app with a webhook)', async () => {
    const registry = new Registry();
    createFleetMetrics(registry);
    expect(() => createWebhookMetrics(registry)).not.toThrow();
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('pushfleet_webhook_lag_seconds');
  });
});
