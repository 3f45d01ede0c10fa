/** The OpenAPI 3.1 document validates against the specification's schema, and every route is in it. */

import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './__fixtures__/api-harness.js';

let redis: RedisServer;
let api: TestApi;
const routes: Array<{ method: string; url: string }> = [];
beforeAll(async () => {
  redis = await startRedisServer();
  api = await startApi({
    redisUrl: redis.url,
    apps: ['doc'],
    onRoute: (method, url) => routes.push({ method, url }),
  });
});
afterAll(async () => {
  await api.close();
  await redis.close();
});

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await api.call('/openapi.json', { as: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route the server has (but the /docs pages), with the bearer scheme on /v1', async () => {
    const doc = (await (await api.call('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown }>>;
    };
    expect(routes.filter((r) => !r.url.startsWith('/docs')).length).toBeGreaterThanOrEqual(12);
    for (const { method, url } of routes) {
      if (url.startsWith('/docs') || method === 'HEAD') continue;
      const path = url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[method.toLowerCase()], `${method} ${url}`).toBeDefined();
      if (url.startsWith('/v1/'))
        expect(doc.paths[path]![method.toLowerCase()]!.security).toEqual([{ bearer: [] }]);
    }
    // The batch cap is in the document.
    expect(JSON.stringify(doc.paths['/v1/notifications']!.post!.requestBody)).toContain('"maxItems":10000');
  });

  it('/docs is a browsable page', async () => {
    const res = await api.call('/docs/', { as: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/swagger/i);
  });
});
