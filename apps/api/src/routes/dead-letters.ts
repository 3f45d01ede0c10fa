/** GET /v1/dlq?app= (a page of the app's dead letters) and POST /v1/dlq/:app/retry (re-drive them). */
import { listDeadLetters, redriveDeadLetters } from '@pushfleet/queue';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { ApiContext } from '../api-context.js';
import { HttpError } from '../http-error.js';
import { errorResponses, LooseObject } from '../schemas.js';
import { servedApp } from './app-param.js';

export function deadLetterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/v1/dlq',
    {
      schema: {
        summary: "A page of an app's dead-letter list, oldest first, with each entry's attempts and reason",
        tags: ['dead letters'],
        querystring: Type.Object(
          {
            app: Type.String(),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ app: Type.String(), total: Type.Integer(), entries: Type.Array(LooseObject) }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const q = request.query as { app?: string; offset?: number; limit?: number };
      const name = servedApp(ctx, request, q.app);
      const page = await ctx.read((r) =>
        listDeadLetters(r, name, { offset: q.offset ?? 0, limit: q.limit ?? 100 }),
      );
      return { app: name, ...page };
    },
  );

  app.post(
    '/v1/dlq/:app/retry',
    {
      schema: {
        summary:
          'Re-drive dead letters (these ids, or all): each is sent again with its id and attempt history',
        tags: ['dead letters'],
        params: Type.Object({ app: Type.String() }),
        body: Type.Object(
          {
            ids: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 10_000 })),
            all: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            app: Type.String(),
            redriven: Type.Array(Type.String()),
            missing: Type.Array(Type.String()),
          }),
          ...errorResponses(400, 401, 403, 404, 429, 503),
        },
      },
    },
    async (request) => {
      const name = servedApp(ctx, request, (request.params as { app: string }).app);
      const body = request.body as { ids?: string[]; all?: boolean };
      if (body.ids && body.all) throw new HttpError(400, 'all', 'give ids or all, not both');
      if (!body.ids && body.all !== true) throw new HttpError(400, 'ids', 'is required (or "all": true)');
      const result = await ctx.read((r) => redriveDeadLetters(r, name, body.all ? undefined : body.ids));
      return { app: name, ...result };
    },
  );
}
