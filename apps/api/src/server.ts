/**
 * The HTTP API on Fastify, built without listening (the kitchen-sink way: main.ts listens). Request and
 * response shapes are TypeBox schemas, from which the OpenAPI 3.1 document is generated (`/openapi.json`,
 * browsable at `/docs`). Validation of notifications is the queue's: the same errors, naming the field, as
 * the SDK, and every problem of a batch at once.
 *
 *   POST /v1/notifications               one, { notifications: [...] }, or { tokens: [...], topic, payload } -> 202
 *   GET  /v1/notifications/:id           where a notification stands, in any app of the key
 *   GET  /v1/feedback?app=&since=        dead tokens recorded for an app, paged
 *   POST /v1/tokens/:token/reactivate    { app }: the device registered it again
 *   GET  /v1/dlq?app=                    the app's dead letters;  POST /v1/dlq/:app/retry { ids | all }
 *   GET  /v1/apps                        the key's apps: paused or not, queue depth
 *   POST /v1/broadcasts, GET /v1/broadcasts/:app/:id, GET|POST /v1/channels, DELETE /v1/channels/:id,
 *   POST /v1/channels/sync               broadcast push and channels (routes/broadcasts.ts)
 *   GET  /healthz /readyz /metrics       alive; Redis answers; the API's request metrics (no key needed)
 *
 * /v1 needs `Authorization: Bearer <key>` (401 without, 403 for another app's data), rate-limited per key
 * (429 with Retry-After). Redis away: 503 with Retry-After; an apnsId reused for another notification: 409.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ApiKeyConfig } from '@pushfleet/config';
import { createApiMetrics, Registry } from '@pushfleet/metrics';
import type { Producer, RedisClient } from '@pushfleet/queue';
import Fastify, { type FastifyInstance, type FastifyLoggerOptions, type FastifyServerOptions } from 'fastify';
import type { ApiContext } from './api-context.js';
import { createApiKeyRing } from './api-keys.js';
import { HttpError, sendError } from './http-error.js';
import { redisReads } from './redis-reads.js';
import { appRoutes } from './routes/apps.js';
import { broadcastRoutes } from './routes/broadcasts.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { feedbackRoutes } from './routes/feedback.js';
import { notificationRoutes } from './routes/notifications.js';
import { operationRoutes } from './routes/operations.js';
import { tokenRoutes } from './routes/tokens.js';
import { SHARED_SCHEMAS } from './schemas.js';

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_BATCH = 10_000;
export const DEFAULT_RATE_PER_MINUTE = 1200;

export interface ApiServerOptions {
  producer: Producer;
  /** Redis for the API's reads (feedback, dead letters, pauses); the caller owns it. */
  redis: RedisClient;
  /** Every app this API serves. */
  apps: readonly string[];
  /** The keys that may call /v1 (hashes only). None: every /v1 call is 401. */
  apiKeys: readonly ApiKeyConfig[];
  /** Largest request body; refused with 413 from its Content-Length, or as soon as more arrives. @defaultValue 10 MiB */
  maxBodyBytes?: number;
  /** Most notifications (or fan-out tokens) in one request. @defaultValue 10000 */
  maxBatch?: number;
  /** Requests per minute per key, unless the key sets its own `ratePerMinute`. @defaultValue 1200 */
  ratePerMinute?: number;
  /** How long a read waits for Redis before 503. @defaultValue 5000 */
  redisTimeoutMs?: number;
  /** Fastify's pino logger options (authorization headers are always redacted). @defaultValue no logging */
  logger?: FastifyServerOptions['logger'];
  /** Where the API's metrics are registered. @defaultValue a new registry */
  registry?: Registry;
  /** Told of every route as it is added (tests compare the routes with the document). */
  onRoute?: (method: string, url: string) => void;
}

/** Fastify's pino options for the API: the authorization header never reaches a log line. */
export const API_LOGGER_OPTIONS: FastifyLoggerOptions & { redact: { paths: string[]; censor: string } } = {
  level: 'info',
  redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
};

export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const ratePerMinute = options.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE;
  const keys = createApiKeyRing(options.apiKeys);
  const logger: FastifyServerOptions['logger'] =
    options.logger === true ? API_LOGGER_OPTIONS : (options.logger ?? false);
  const app: FastifyInstance = Fastify({
    logger,
    bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    // Unknown fields are refused, not silently dropped (Fastify's default removes them).
    ajv: { customOptions: { removeAdditional: false } },
  });
  const ctx: ApiContext = {
    producer: options.producer,
    read: redisReads(options.redis, options.redisTimeoutMs ?? 5000),
    apps: options.apps,
    metrics: createApiMetrics(options.registry ?? new Registry()),
    maxBatch,
  };

  // JSON only (Fastify also parses text/plain by default): anything else is 415 before it is read.
  app.removeContentTypeParser('text/plain');
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new HttpError(
        404,
        'path',
        `${request.method} ${request.url.split('?')[0]} is not an endpoint (see /docs)`,
      ),
      request,
      reply,
    ),
  );

  // Every /v1 route: the bearer scheme in the document and a per-key rate limit.
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) options.onRoute?.(method, route.url);
    if (!route.url.startsWith('/v1/')) return;
    route.schema = { ...route.schema, security: [{ bearer: [] }] };
    route.config = { ...(route.config as object), rateLimit: {} };
  });
  // Before the body is read: an unauthenticated request costs a hash, not a parse.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url?.startsWith('/v1/')) request.apiKey = keys.authenticate(request);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    ctx.metrics.duration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  await app.register(rateLimit, {
    global: false,
    hook: 'onRequest',
    timeWindow: 60_000,
    max: (request) => request.apiKey?.ratePerMinute ?? ratePerMinute,
    keyGenerator: (request) => `key:${request.apiKey?.id ?? `ip:${request.ip}`}`,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `over ${context.max} requests per minute for this API key; retry after ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'pushfleet HTTP API',
        version: '1',
        description:
          'Enqueue Apple push notifications and read where they stand. Every problem of a request is reported at once; a refused request enqueues nothing.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key from the fleet configuration' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get(
    '/openapi.json',
    { schema: { summary: 'This API described as OpenAPI 3.1', tags: ['operations'] } },
    async () => app.swagger(),
  );
  notificationRoutes(app, ctx);
  feedbackRoutes(app, ctx);
  tokenRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  appRoutes(app, ctx);
  operationRoutes(app, ctx);
  broadcastRoutes(app, ctx);
  return app;
}
