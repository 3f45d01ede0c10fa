/**
 * Bearer keys: `Authorization: Bearer <key>` is hashed (SHA-256) and compared with every configured hash in
 * constant time (`timingSafeEqual`, and no early exit), so neither the key nor which hash came close leaks
 * through timing. The key is never logged or echoed; requests carry only the key's id from here on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKeyConfig, keyAllowsApp } from '@pushfleet/config';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

export interface ApiKeyRing {
  /** The key a request presents, or a 401 HttpError saying what to send. */
  authenticate(request: FastifyRequest): ApiKeyConfig;
  readonly size: number;
}

export function createApiKeyRing(keys: readonly ApiKeyConfig[]): ApiKeyRing {
  const hashes = keys.map((k) => ({ key: k, hash: Buffer.from(k.sha256, 'hex') }));
  return {
    size: keys.length,
    authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined)
        throw new HttpError(
          401,
          'authorization',
          'is required: send "Authorization: Bearer <API key>"',
          undefined,
          {
            'www-authenticate': 'Bearer',
          },
        );
      const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!m)
        throw new HttpError(401, 'authorization', 'must be "Bearer <API key>"', undefined, {
          'www-authenticate': 'Bearer',
        });
      const presented = createHash('sha256').update(m[1]!, 'utf8').digest();
      let found: ApiKeyConfig | undefined;
      for (const { key, hash } of hashes) {
        if (timingSafeEqual(presented, hash) && !found) found = key;
      }
      if (!found)
        throw new HttpError(401, 'authorization', 'is not a valid API key', undefined, {
          'www-authenticate': 'Bearer error="invalid_token"',
        });
      return found;
    },
  };
}

/** 403 unless `key` may use `app`; names the field the app came from. */
export function requireApp(key: ApiKeyConfig, app: string, field = 'app'): void {
  if (!keyAllowsApp(key, app))
    throw new HttpError(
      403,
      field,
      `API key "${key.id}" may not use app "${app}" (its apps: ${key.apps.join(', ')})`,
    );
}
