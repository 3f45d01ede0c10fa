/**
 * The queue board for operators: Bull Board over every app's queue, on Fastify, behind the API keys. A
 * browser gives the key as the password of HTTP Basic auth (it asks for it); scripts may send
 * `Authorization: Bearer <key>`. The board shows every app, so only a key for every app may open it.
 * Read-only unless `allowRetry`: then failed jobs may be retried, and nothing else changes (every other
 * write of Bull Board's API is refused here as well as hidden in its UI).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { ApiKeyConfig } from '@pushfleet/config';
import { appQueue, type RedisClient } from '@pushfleet/queue';
import { Queue } from 'bullmq';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createApiKeyRing, requireApp } from './api-keys.js';
import { HttpError, sendError, toHttpError } from './http-error.js';

export interface BoardServerOptions {
  /** The fleet's Redis (BullMQ reads through it); the caller owns it. */
  redis: RedisClient;
  apps: readonly string[];
  apiKeys: readonly ApiKeyConfig[];
  /** Let operators retry failed jobs. @defaultValue false (read-only) */
  allowRetry?: boolean;
  /** @defaultValue no logging */
  logger?: FastifyServerOptions['logger'];
}

/** Bull Board API writes that a retry needs: one job, or every failed job of a queue. */
const RETRY_PATH = /^\/api\/queues\/[^/]+\/(?:[^/]+\/retry|retry\/failed)$/;

export async function createBoardServer(options: BoardServerOptions): Promise<FastifyInstance> {
  const keys = createApiKeyRing(options.apiKeys);
  const allowRetry = options.allowRetry ?? false;
  const app: FastifyInstance = Fastify({ logger: options.logger ?? false });
  const queues = options.apps.map((name) => {
    const { name: queueName, prefix } = appQueue(name);
    return { name, queue: new Queue(queueName, { connection: options.redis, prefix }) };
  });

  // Bull Board's adapter installs its own error handler, so refusals are answered here, not thrown.
  app.addHook('onRequest', async (request, reply) => {
    try {
      const header = request.headers.authorization;
      // A browser's Basic credentials: the password is the API key.
      const basic = header && /^basic\s+(\S+)$/i.exec(header);
      if (basic) {
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        request.headers.authorization = `Bearer ${decoded.slice(decoded.indexOf(':') + 1)}`;
      }
      const key = keys.authenticate(request);
      for (const a of options.apps) requireApp(key, a, 'authorization');
      const write = request.method !== 'GET' && request.method !== 'HEAD';
      const retry = allowRetry && request.method === 'PUT' && RETRY_PATH.test(request.url.split('?')[0]!);
      if (write && !retry)
        throw new HttpError(
          403,
          'board',
          allowRetry
            ? 'only retries are allowed on this board'
            : 'this board is read-only (start it with --allow-retry to retry jobs)',
        );
    } catch (err) {
      // A browser asks for Basic credentials; the API's Bearer challenge would not make it ask.
      const e = toHttpError(err);
      const challenge = { 'www-authenticate': 'Basic realm="pushfleet board", charset="UTF-8"' };
      return sendError(
        e.status === 401 ? new HttpError(401, e.field, e.problem, undefined, challenge) : e,
        request,
        reply,
      );
    }
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/');
  createBullBoard({
    queues: queues.map(
      ({ name, queue }) =>
        new BullMQAdapter(queue, {
          readOnlyMode: !allowRetry,
          allowRetries: allowRetry,
          prefix: `${name}-`,
          displayName: name,
          description: `notifications of app ${name}`,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'pushfleet' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: '/' });
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((q) => q.queue.close()));
  });
  return app;
}
