/** /healthz (the process is alive), /readyz (Redis answers), /metrics (the API's own): no key needed. */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { ApiContext } from '../api-context.js';
import { errorResponses } from '../schemas.js';

export function operationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The API process is alive (it does not look at Redis: see /readyz)',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Ready to take notifications: Redis answers (503 with Retry-After while it does not)',
        tags: ['operations'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), redis: Type.Literal('ready') }),
          ...errorResponses(503),
        },
      },
    },
    async () => {
      await ctx.producer.ping();
      return { status: 'ready' as const, redis: 'ready' as const };
    },
  );
  app.get(
    '/metrics',
    {
      schema: {
        summary: "The API's request metrics, Prometheus text format",
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );
}
