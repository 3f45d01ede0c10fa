/**
 * The worker's operations endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`.
 * Built without listening (createOpsServer) so tests can drive it; the worker listens.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Health {
  readonly ok: boolean;
  readonly detail: Record<string, unknown>;
}

export function createOpsServer(
  registry: Registry,
  beforeScrape: () => Promise<void> | void,
  health: () => Health,
): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      Promise.resolve()
        .then(beforeScrape)
        .then(() => registry.metrics())
        .then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (err: Error) =>
            res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
        );
      return;
    }
    if (path === '/healthz') {
      const h = health();
      res
        .writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(`${JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', ...h.detail })}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
}
