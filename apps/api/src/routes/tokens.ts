/** POST /v1/tokens/:token/reactivate { app }: the device registered this token again; stop suppressing it. */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { ApiContext } from '../api-context.js';
import { HttpError } from '../http-error.js';
import { errorResponses } from '../schemas.js';
import { servedApp } from './app-param.js';

export function tokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post(
    '/v1/tokens/:token/reactivate',
    {
      schema: {
        summary: 'The device registered this token again: notifications to it are no longer suppressed',
        tags: ['tokens'],
        params: Type.Object({ token: Type.String({ description: 'Device token, hex' }) }),
        body: Type.Object({ app: Type.String() }, { additionalProperties: false }),
        response: {
          200: Type.Object({ token: Type.String(), app: Type.String(), reactivated: Type.Boolean() }),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request) => {
      const { token } = request.params as { token: string };
      if (!/^[0-9A-Fa-f]{64,200}$/.test(token))
        throw new HttpError(400, 'token', 'must be 64 to 200 hex digits');
      const name = servedApp(ctx, request, (request.body as { app: string }).app);
      const reactivated = await ctx.producer.reactivateToken(name, token);
      return { token: token.toLowerCase(), app: name, reactivated };
    },
  );
}
