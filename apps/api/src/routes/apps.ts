/** GET /v1/apps: the apps the key may use, whether each is paused (and why), and its queue depth. */
import { getAppPause } from '@pushfleet/queue';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { type ApiContext, readableApps } from '../api-context.js';
import { errorResponses } from '../schemas.js';

const COUNTED = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed'] as const;

export function appRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/v1/apps',
    {
      schema: {
        summary: 'The apps this key may use: paused or not, and how many notifications wait',
        tags: ['apps'],
        response: {
          200: Type.Object({
            apps: Type.Array(
              Type.Object({
                name: Type.String(),
                paused: Type.Union([
                  Type.Object({ reason: Type.String(), at: Type.Number(), by: Type.String() }),
                  Type.Null(),
                ]),
                depth: Type.Integer({
                  description: 'Jobs not finished: waiting, prioritized, delayed and active',
                }),
                counts: Type.Record(Type.String(), Type.Integer()),
              }),
            ),
          }),
          ...errorResponses(401, 429, 503),
        },
      },
    },
    async (request) => {
      const apps = await Promise.all(
        readableApps(ctx, request).map(async (name) => {
          const [pause, counts] = await Promise.all([
            ctx.read((r) => getAppPause(r, name)),
            ctx.read(() => ctx.producer.queueFor(name).getJobCounts(...COUNTED)),
          ]);
          const depth =
            (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0);
          return { name, paused: pause ?? null, depth, counts };
        }),
      );
      return { apps };
    },
  );
}
