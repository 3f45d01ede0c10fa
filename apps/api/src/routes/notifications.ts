/**
 * POST /v1/notifications (one, a batch, or one payload fanned out to many tokens) and
 * GET /v1/notifications/:id (where a notification stands, in whichever of the key's apps it is).
 */
import { type FanOutInput, getNotificationStatus } from '@pushfleet/queue';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { type ApiContext, keyOf, readableApps } from '../api-context.js';
import { HttpError } from '../http-error.js';
import { EnqueuedSchema, errorResponses, LooseObject, sendBodySchema } from '../schemas.js';
import { createSendPlanner } from './send-body.js';

export function notificationRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const plan = createSendPlanner(ctx.maxBatch);

  app.post(
    '/v1/notifications',
    {
      schema: {
        summary: 'Enqueue one notification, a batch, or one payload for many tokens',
        description: `A bad request enqueues nothing and lists every problem. At most ${ctx.maxBatch} notifications (or tokens) per request.`,
        tags: ['notifications'],
        body: sendBodySchema(ctx.maxBatch),
        response: { 202: EnqueuedSchema, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
      },
      // The body is checked by the handler, item by item, so that every problem is reported at once.
      validatorCompiler: () => (value) => ({ value }),
    },
    async (request, reply) => {
      const key = keyOf(request);
      let sent: { ids: string[]; jobIds: string[] };
      let count = 1;
      try {
        const p = plan(request.body, ctx.producer, key);
        count = p.notifications.length;
        sent =
          p.kind === 'one'
            ? await ctx.producer.send(p.notifications[0]!)
            : p.kind === 'fan-out'
              ? await ctx.producer.fanOut(request.body as FanOutInput) // the payload serialized once
              : await ctx.producer.sendMany(p.notifications);
        const byApp = new Map<string, number>();
        for (const a of p.apps) byApp.set(a, (byApp.get(a) ?? 0) + 1);
        for (const [a, n] of byApp) ctx.metrics.enqueued.inc({ app: a }, n);
      } catch (err) {
        const status = err instanceof HttpError ? err.status : 0;
        if (status) ctx.metrics.refused.inc({ status: String(status) }, count);
        throw err;
      }
      return reply.code(202).send(sent);
    },
  );

  app.get(
    '/v1/notifications/:id',
    {
      schema: {
        summary: 'Where a notification stands: pending or final, its outcome, tries and carrying job',
        tags: ['notifications'],
        params: Type.Object({ id: Type.String({ description: 'The notification id (apns-id)' }) }),
        response: { 200: LooseObject, ...errorResponses(401, 404, 429, 503) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      // By the notification's own id (whatever job carries it): look in each app the key may read.
      for (const app of readableApps(ctx, request)) {
        const status = await ctx.read((redis) => getNotificationStatus(redis, app, id));
        if (status) return { app, ...status };
      }
      throw new HttpError(
        404,
        'id',
        'no such notification in your apps (never enqueued, or past its retention)',
      );
    },
  );
}
