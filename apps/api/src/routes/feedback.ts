/**
 * GET /v1/feedback?app=&since=&limit=: the dead tokens recorded for an app, oldest first, from its feedback
 * stream. Page on with `since=<next>`; `since` is a stream id from a previous page, or ms since the epoch.
 */
import { readFeedback } from '@pushfleet/queue';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { ApiContext } from '../api-context.js';
import { HttpError } from '../http-error.js';
import { errorResponses } from '../schemas.js';
import { servedApp } from './app-param.js';

const STREAM_ID = /^\d+-\d+$/;

/** The exclusive stream id to read after: a stream id as given, or just before the given millisecond. */
function afterId(since: string | undefined): string {
  if (since === undefined || since === '' || since === '0') return '0';
  if (STREAM_ID.test(since)) return since;
  if (/^\d+$/.test(since)) {
    const ms = Number(since);
    return ms === 0 ? '0' : `${ms - 1}-18446744073709551615`;
  }
  throw new HttpError(
    400,
    'since',
    'must be a stream id from a previous page ("1700000000000-0") or ms since the epoch',
  );
}

const FeedbackEntrySchema = Type.Object({
  id: Type.String({ description: 'Stream id; pass the last as `since` to read on' }),
  token: Type.String(),
  reason: Type.String({ description: "Apple's reason: Unregistered, BadDeviceToken, ..." }),
  timestamp: Type.Number({ description: 'When Apple says the token became invalid, ms since the epoch' }),
  topic: Type.Optional(Type.String()),
  source: Type.String({ description: 'http2, legacy or feedback' }),
  recordedAt: Type.Number({ description: 'When the fleet recorded it, ms since the epoch' }),
});

export function feedbackRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/v1/feedback',
    {
      schema: {
        summary: 'Dead device tokens recorded for an app (stop sending to them), paged',
        tags: ['tokens'],
        querystring: Type.Object(
          {
            app: Type.String(),
            since: Type.Optional(
              Type.String({ description: 'Stream id of the last entry read, or ms since the epoch' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            app: Type.String(),
            entries: Type.Array(FeedbackEntrySchema),
            next: Type.Union([Type.String(), Type.Null()], {
              description: 'Pass as `since` for the next page; null at the end',
            }),
          }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const q = request.query as { app?: string; since?: string; limit?: number };
      const name = servedApp(ctx, request, q.app);
      const limit = q.limit ?? 1000;
      const entries = await ctx.read((r) => readFeedback(r, name, afterId(q.since), limit));
      return { app: name, entries, next: entries.length === limit ? entries[entries.length - 1]!.id : null };
    },
  );
}
