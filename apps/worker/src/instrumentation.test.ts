import { createFleetMetrics, Registry } from '@pushfleet/metrics';
import { describe, expect, it } from 'vitest';
import { closeReasonLabel, transportMetricsListener } from './instrumentation.js';

describe('transportMetricsListener', () => {
  it('counts connections opened and closed by bounded reason, and keeps the open gauge', async () => {
    const registry = new Registry();
    const metrics = createFleetMetrics(registry);
    const listener = transportMetricsListener(metrics, 'demo', 'http2');
    listener.onConnectionOpened?.();
    listener.onConnectionOpened?.();
    listener.onConnectionClosed?.('goaway');
    listener.onConnectionClosed?.('something a peer made up');
    const text = await registry.metrics();
    expect(text).toContain('pushfleet_apns_connections_opened_total{app="demo",transport="http2"} 2');
    expect(text).toContain('pushfleet_apns_connections_open{app="demo",transport="http2"} 0');
    expect(text).toContain(
      'pushfleet_apns_connections_closed_total{app="demo",transport="http2",reason="goaway"} 1',
    );
    expect(text).toContain(
      'pushfleet_apns_connections_closed_total{app="demo",transport="http2",reason="other"} 1',
    );
  });

  it('bounds close reasons to the pool set and legacy error-response statuses', () => {
    expect(closeReasonLabel('ping-timeout')).toBe('ping-timeout');
    expect(closeReasonLabel('error-response-8')).toBe('error-response-8');
    expect(closeReasonLabel('error-response-12345')).toBe('other');
    expect(closeReasonLabel('0123abcd')).toBe('other');
  });
});
