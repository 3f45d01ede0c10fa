/** What every route module of the API is given: the producer, Redis reads, the apps served, metrics, limits. */
import type { ApiKeyConfig } from '@pushfleet/config';
import { keyAllowsApp } from '@pushfleet/config';
import type { ApiMetrics } from '@pushfleet/metrics';
import type { Producer } from '@pushfleet/queue';
import type { FastifyRequest } from 'fastify';
import type { RedisRead } from './redis-reads.js';

export interface ApiContext {
  readonly producer: Producer;
  readonly read: RedisRead;
  /** Every app this API serves (the fleet config's, or the one app). */
  readonly apps: readonly string[];
  readonly metrics: ApiMetrics;
  /** Most notifications (or fan-out tokens) in one request. */
  readonly maxBatch: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The key the request authenticated with (on /v1 routes). */
    apiKey?: ApiKeyConfig;
  }
}

/** The authenticated key; /v1 routes run only after authentication. */
export function keyOf(request: FastifyRequest): ApiKeyConfig {
  if (!request.apiKey) throw new Error('route reached without authentication');
  return request.apiKey;
}

/** The served apps this request's key may read. */
export function readableApps(ctx: ApiContext, request: FastifyRequest): string[] {
  const key = keyOf(request);
  return ctx.apps.filter((a) => keyAllowsApp(key, a));
}
