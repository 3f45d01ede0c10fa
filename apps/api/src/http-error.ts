/**
 * Every refusal the API answers, as one shape: `{ error: { field, problem } }`, plus `errors` (every problem,
 * `{ index?, field, problem }`) when there were several or the body was a batch. The error handler turns
 * these, the queue's errors and Fastify's own (body too large, bad JSON, wrong content type) into answers.
 */
import {
  IdempotencyConflictError,
  PartialEnqueueError,
  RedisUnavailableError,
  ValidationError,
} from '@pushfleet/queue';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface Problem {
  readonly index?: number;
  readonly field: string;
  readonly problem: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly problem: string,
    /** Every problem, when there are several (a batch). */
    readonly problems?: readonly Problem[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Seconds a client should wait before retrying while Redis is away: a retry with the same apnsIds is safe. */
export const REDIS_RETRY_AFTER_SECONDS = 5;

/** Fastify's own errors, by code, as (status, field, problem). */
function fromFastify(err: FastifyError): HttpError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(
        413,
        'body',
        `is over the limit of ${err.message.match(/\d+/)?.[0] ?? 'the'} bytes`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'content-type', 'must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'body', 'is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'content-length', 'does not match the body');
    case 'FST_ERR_VALIDATION': {
      const v = err.validation?.[0];
      const params = (v?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
      let field = (v?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
      const under = (name: string) => (field ? `${field}.${name}` : name);
      let problem = v?.message ?? err.message;
      if (v?.keyword === 'required' && params.missingProperty) {
        field = under(params.missingProperty);
        problem = 'is required';
      } else if (v?.keyword === 'additionalProperties' && params.additionalProperty) {
        field = under(params.additionalProperty);
        problem = 'is not a known field';
      }
      return new HttpError(400, field || (err.validationContext ?? 'request'), problem);
    }
    default:
      if (err instanceof SyntaxError || err.statusCode === 400)
        return new HttpError(400, 'body', `is not valid JSON (${err.message})`);
      return undefined;
  }
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ValidationError) return new HttpError(400, err.field, err.problem);
  if (err instanceof IdempotencyConflictError)
    return new HttpError(409, err.field, err.message.slice(err.field.length + 2));
  if (err instanceof RedisUnavailableError || err instanceof PartialEnqueueError) {
    return new HttpError(503, 'redis', err.message, undefined, {
      'retry-after': String(REDIS_RETRY_AFTER_SECONDS),
    });
  }
  const fastify = fromFastify(err as FastifyError);
  if (fastify) return fastify;
  const status = (err as FastifyError).statusCode;
  if (status === 429) return new HttpError(429, 'rate', (err as Error).message);
  return new HttpError(500, 'server', 'internal error (see the API log)');
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toHttpError(err);
  if (e.status >= 500 && e.field === 'server') request.log.error({ err }, 'request failed');
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  const body: Record<string, unknown> = { error: { field: e.field, problem: e.problem } };
  if (e.problems) body.errors = e.problems;
  if (err instanceof PartialEnqueueError) body.enqueued = err.enqueued;
  return reply.code(e.status).type('application/json').send(body);
}
