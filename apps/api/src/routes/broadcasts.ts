/**
 * Broadcast push and channels (docs/protocol/broadcast.md), enqueued as jobs in the app's broadcasts queue;
 * validation is the queue's (`validateBroadcast`, `validateChannelOperation`), in the SDK's words.
 *
 *   POST   /v1/broadcasts                 { bundleId, channelId, liveActivity | payload, priority?, expiration? } -> 202
 *   GET    /v1/broadcasts/:app/:id        where a broadcast or channel operation stands (its verdict, apns-unique-id)
 *   GET    /v1/channels?app=&live=        the app's channel registry, and how many of Apple's 10,000 are live
 *   POST   /v1/channels                   { bundleId, storagePolicy }: create a channel -> 202
 *   DELETE /v1/channels/:channelId        ?bundleId=: delete it -> 202
 *   POST   /v1/channels/sync              { bundleId }: record the channels APNs lists that the registry lacks -> 202
 */
import { CHANNEL_LIMIT, type ChannelOperation, checkBundleId } from '@pushfleet/queue';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { type ApiContext, keyOf } from '../api-context.js';
import { requireApp } from '../api-keys.js';
import { errorResponses, LooseObject } from '../schemas.js';
import { servedApp } from './app-param.js';

const AcceptedSchema = Type.Object({
  id: Type.String({
    description:
      'The broadcast or operation id (its apns-request-id); read it at GET /v1/broadcasts/:app/:id',
  }),
  app: Type.String(),
});

const BroadcastBodySchema = Type.Object(
  {
    bundleId: Type.String({ description: 'The bare bundle id (no .push-type.liveactivity suffix)' }),
    channelId: Type.String({ description: 'The channel id APNs returned on create (base64)' }),
    liveActivity: Type.Optional(
      Type.Object(
        {
          event: Type.String({ description: 'update or end (a broadcast cannot start an activity)' }),
          timestamp: Type.Optional(Type.Integer({ description: 'UNIX seconds; default now' })),
          contentState: LooseObject,
          staleDate: Type.Optional(Type.Integer()),
          dismissalDate: Type.Optional(Type.Integer({ description: 'end only' })),
          relevanceScore: Type.Optional(Type.Number()),
          alert: Type.Optional(LooseObject),
        },
        { additionalProperties: false },
      ),
    ),
    payload: Type.Optional(
      Type.Union([LooseObject, Type.String()], {
        description: 'The payload itself (give this or liveActivity)',
      }),
    ),
    priority: Type.Optional(Type.Integer({ description: '10 (default; spends the device budget), 5 or 1' })),
    expiration: Type.Optional(
      Type.Integer({ description: 'UNIX seconds; 0 (default) for a No-Message-Stored channel' }),
    ),
    id: Type.Optional(Type.String({ description: 'A UUID, sent as apns-request-id (default: random)' })),
    app: Type.Optional(Type.String({ description: 'The app (default: the app owning the bundle id)' })),
  },
  { additionalProperties: false },
);

const ChannelEntrySchema = Type.Object({
  id: Type.String(),
  bundleId: Type.String(),
  storagePolicy: Type.Optional(
    Type.Integer({ description: '0 No Message Stored, 1 Most Recent Message Stored' }),
  ),
  createdAt: Type.Number(),
  deletedAt: Type.Optional(Type.Number()),
  source: Type.String({
    description: 'created, reconciled (found by listing after an unanswered create) or adopted',
  }),
  requestId: Type.Optional(Type.String()),
});

/** The app of a bundle id, which the key must be allowed to use. */
function appOf(ctx: ApiContext, request: FastifyRequest, bundleId: string, app: string | undefined): string {
  const name = ctx.producer.appForBundle(checkBundleId(bundleId), app);
  requireApp(keyOf(request), name, app === undefined ? 'bundleId' : 'app');
  return name;
}

export function broadcastRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post(
    '/v1/broadcasts',
    {
      schema: {
        summary: 'One broadcast to every Live Activity subscribed to a channel (at most 5,120 bytes)',
        tags: ['broadcasts'],
        body: BroadcastBodySchema,
        response: { 202: AcceptedSchema, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body as { bundleId: string; app?: string } & Record<string, unknown>;
      const name = appOf(ctx, request, body.bundleId, body.app);
      const enqueued = await ctx.producer.broadcast({ ...body, app: name } as Parameters<
        ApiContext['producer']['broadcast']
      >[0]);
      return reply.code(202).send(enqueued);
    },
  );

  app.get(
    '/v1/broadcasts/:app/:id',
    {
      schema: {
        summary:
          "Where a broadcast or channel operation stands: its state, Apple's verdict and apns-unique-id",
        tags: ['broadcasts'],
        params: Type.Object({ app: Type.String(), id: Type.String() }),
        response: {
          200: Type.Object({
            app: Type.String(),
            id: Type.String(),
            state: Type.String({ description: 'waiting, active, delayed, completed, failed or unknown' }),
            attempts: Type.Integer(),
            result: Type.Optional(LooseObject),
          }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const { app: appName, id } = request.params as { app: string; id: string };
      const name = servedApp(ctx, request, appName);
      const status = await ctx.producer.broadcastStatus(name, id);
      return status.result === undefined ? { ...status, result: undefined } : status;
    },
  );

  app.get(
    '/v1/channels',
    {
      schema: {
        summary: "The app's broadcast channels, as the fleet made or found them, against Apple's 10,000",
        tags: ['broadcasts'],
        querystring: Type.Object(
          {
            app: Type.String(),
            live: Type.Optional(Type.Boolean({ description: 'Leave out deleted channels', default: false })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            app: Type.String(),
            live: Type.Integer({ description: 'Channels not deleted' }),
            limit: Type.Integer({ description: "Apple's limit per app and environment" }),
            channels: Type.Array(ChannelEntrySchema),
          }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const q = request.query as { app?: string; live?: boolean };
      const name = servedApp(ctx, request, q.app);
      const channels = await ctx.producer.listChannels(name, { live: q.live === true });
      const live = q.live ? channels.length : channels.filter((c) => c.deletedAt === undefined).length;
      return { app: name, live, limit: CHANNEL_LIMIT, channels };
    },
  );

  const enqueue = async (request: FastifyRequest, op: ChannelOperation, appName: string | undefined) => {
    const name = appOf(ctx, request, op.bundleId, appName);
    return ctx.producer.channel({ ...op, app: name });
  };

  app.post(
    '/v1/channels',
    {
      schema: {
        summary:
          'Create a broadcast channel (the create is never retried blindly: an unanswered one is reconciled)',
        tags: ['broadcasts'],
        body: Type.Object(
          {
            bundleId: Type.String(),
            storagePolicy: Type.Integer({
              description: '0 No Message Stored (frequent updates), 1 Most Recent Message Stored',
            }),
            app: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: { 202: AcceptedSchema, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body as { bundleId: string; storagePolicy: 0 | 1; app?: string };
      const op = { op: 'create', bundleId: b.bundleId, storagePolicy: b.storagePolicy } as const;
      return reply.code(202).send(await enqueue(request, op, b.app));
    },
  );

  app.delete(
    '/v1/channels/:channelId',
    {
      schema: {
        summary: 'Delete a broadcast channel (final; Apple never reissues the id)',
        tags: ['broadcasts'],
        params: Type.Object({ channelId: Type.String() }),
        querystring: Type.Object(
          { bundleId: Type.String(), app: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 202: AcceptedSchema, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const { channelId } = request.params as { channelId: string };
      const q = request.query as { bundleId: string; app?: string };
      return reply
        .code(202)
        .send(await enqueue(request, { op: 'delete', bundleId: q.bundleId, channelId }, q.app));
    },
  );

  app.post(
    '/v1/channels/sync',
    {
      schema: {
        summary: "Record the channels APNs lists for the bundle id that the app's registry lacks",
        tags: ['broadcasts'],
        body: Type.Object(
          { bundleId: Type.String(), app: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 202: AcceptedSchema, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body as { bundleId: string; app?: string };
      return reply.code(202).send(await enqueue(request, { op: 'sync', bundleId: b.bundleId }, b.app));
    },
  );
}
