/** An app named in a request: one this API serves (400 otherwise) and one the key may use (403 otherwise). */
import type { FastifyRequest } from 'fastify';
import { type ApiContext, keyOf } from '../api-context.js';
import { requireApp } from '../api-keys.js';
import { HttpError } from '../http-error.js';

export function servedApp(
  ctx: ApiContext,
  request: FastifyRequest,
  app: string | undefined,
  field = 'app',
): string {
  if (app === undefined || app === '')
    throw new HttpError(400, field, `is required (one of: ${ctx.apps.join(', ')})`);
  requireApp(keyOf(request), app, field);
  if (!ctx.apps.includes(app))
    throw new HttpError(400, field, `"${app}" is not an app of this fleet (known: ${ctx.apps.join(', ')})`);
  return app;
}
