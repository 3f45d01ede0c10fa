/**
 * The worker's operations endpoint: `GET /metrics` (Prometheus text format), `GET /healthz` (liveness: the
 * process is alive and answering; restart it if not) and `GET /readyz` (readiness: Redis is reachable and
 * every app's BullMQ worker is running; take it out of rotation, do not restart it, if not: a Redis outage
 * must not make an orchestrator kill every worker at once).
 * Built without listening (createOpsServer) so tests can drive it; the worker listens.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** The paths the ops server answers, for deploy files and their tests. */
export const OPS_PATHS = Object.freeze({ metrics: '/metrics', health: '/healthz', ready: '/readyz' });

export interface Health {
  readonly ok: boolean;
  readonly detail: Record<string, unknown>;
}

export function createOpsServer(
  registry: Registry,
  beforeScrape: () => Promise<void> | void,
  health: () => Health,
  ready: () => Health = health,
): Server {
  const answer = (res: import('node:http').ServerResponse, h: Health, bad: string) =>
    res
      .writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(`${JSON.stringify({ status: h.ok ? 'ok' : bad, ...h.detail })}\n`);
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === OPS_PATHS.metrics) {
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
    if (path === OPS_PATHS.health) return void answer(res, health(), 'unhealthy');
    if (path === OPS_PATHS.ready) return void answer(res, ready(), 'not ready');
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('not found: try /metrics, /healthz or /readyz\n');
  });
}
