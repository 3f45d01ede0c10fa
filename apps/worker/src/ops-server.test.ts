import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOpsServer, type Health, OPS_PATHS } from './ops-server.js';

describe('createOpsServer', () => {
  it('answers /healthz from liveness and /readyz from readiness, each 200 or 503 with its detail', async () => {
    let ready: Health = { ok: false, detail: { redis: 'down' } };
    const server = createOpsServer(
      new Registry(),
      () => undefined,
      () => ({ ok: true, detail: { redis: 'down' } }),
      () => ready,
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const health = await fetch(base + OPS_PATHS.health);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', redis: 'down' });
      const notReady = await fetch(base + OPS_PATHS.ready);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'not ready', redis: 'down' });
      ready = { ok: true, detail: { redis: 'ready' } };
      expect((await fetch(base + OPS_PATHS.ready)).status).toBe(200);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(base + OPS_PATHS.metrics)).headers.get('content-type')).toMatch(/^text\/plain/);
    } finally {
      server.close();
    }
  });
});
