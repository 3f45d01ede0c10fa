/**
 * HTTP ingestion for producers that are not Node. Built without listening (the kitchen-sink way); main.ts
 * listens. Validation is the queue package's: the same errors, naming the field, as the SDK.
 *
 *   POST /v1/notifications        one notification, or { "notifications": [...] }   -> 202 { ids, jobIds }
 *   GET  /v1/notifications/:id    where a notification's job stands                  -> 200 status | 404
 *   POST /v1/tokens/:token/reactivate  { app }: the device registered it again -> 200 { reactivated }
 *   GET  /healthz                 200 while Redis answers, else 503
 *
 * Redis away: 503 with Retry-After (nothing enqueued, or exactly `enqueued`); an apnsId reused for another
 * notification: 409.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  IdempotencyConflictError,
  PartialEnqueueError,
  type Producer,
  RedisUnavailableError,
  ValidationError,
} from '@pushfleet/queue';

export interface ApiServerOptions {
  producer: Producer;
  /** Largest request body accepted. @defaultValue 10 MiB */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json'))
    throw new HttpError(415, 'content-type', 'must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'body', `over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body', 'is not valid JSON');
  }
}

export function createApiServer(options: ApiServerOptions): Server {
  const { producer } = options;
  const limit = options.maxBodyBytes ?? 10 * 1024 * 1024;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' && req.method === 'GET') {
      await producer.ping(); // Redis away: RedisUnavailableError, answered 503 below
      return send(res, 200, { status: 'ok', redis: 'ready' });
    }
    if (path === '/v1/notifications') {
      if (req.method !== 'POST') throw new HttpError(405, 'method', 'use POST');
      const body = await readJson(req, limit);
      const isBatch = typeof body === 'object' && body !== null && 'notifications' in body;
      const result = isBatch
        ? await producer.sendMany((body as { notifications: never[] }).notifications)
        : await producer.send(body as never);
      return send(res, 202, result);
    }
    const re = /^\/v1\/tokens\/([0-9A-Fa-f]+)\/reactivate$/.exec(path);
    if (re && req.method === 'POST') {
      const body = (await readJson(req, limit)) as { app?: unknown };
      if (typeof body?.app !== 'string')
        throw new HttpError(400, 'app', 'is required (the app the token belongs to)');
      const reactivated = await producer.reactivateToken(body.app, re[1]!);
      return send(res, 200, { token: re[1]!.toLowerCase(), app: body.app, reactivated });
    }
    const m = /^\/v1\/notifications\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const status = await producer.status(decodeURIComponent(m[1]!));
      if (!status)
        throw new HttpError(404, 'id', 'no such notification (never enqueued, or past its retention)');
      return send(res, 200, status);
    }
    throw new HttpError(404, 'path', `${req.method} ${path} is not an endpoint`);
  }

  return createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof ValidationError)
        return send(res, 400, { error: { field: err.field, problem: err.problem } });
      if (err instanceof HttpError)
        return send(res, err.status, { error: { field: err.field, problem: err.problem } });
      if (err instanceof IdempotencyConflictError)
        return send(res, 409, {
          error: { field: err.field, problem: err.message.slice(err.field.length + 2) },
        });
      if (err instanceof RedisUnavailableError || err instanceof PartialEnqueueError) {
        // Retry-After: a client's retry (with the same apnsIds) is safe once Redis is back.
        res.setHeader('retry-after', '5');
        const enqueued = err instanceof PartialEnqueueError ? { enqueued: err.enqueued } : {};
        return send(res, 503, { error: { field: 'redis', problem: err.message }, ...enqueued });
      }
      send(res, 500, { error: { field: 'server', problem: (err as Error).message } });
    });
  });
}
