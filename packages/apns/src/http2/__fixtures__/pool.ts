/** What the Http2Pool suites share: a counting token source, a valid request, a pool aimed at a test server. */
import { randomUUID } from 'node:crypto';
import type { ProviderTokenSource } from '../../auth/provider-token-source.js';
import type { ApnsRequest } from '../../types.js';
import { Http2Pool } from '../http2-pool.js';
import type { Http2PoolOptions } from '../pool-options.js';
import type { TestServer } from './test-server.js';

export const TOKEN = 'ab'.repeat(32);

/** A token source whose bearer is `bearer t<n>`; a rejection of the current one moves to n + 1. */
export class CountingTokens implements ProviderTokenSource {
  n = 1;
  readonly rejections: string[] = [];
  bearer(): string {
    return `bearer t${this.n}`;
  }
  refreshAfterRejection(rejected: string): string {
    this.rejections.push(rejected);
    if (rejected === this.bearer()) this.n++;
    return this.bearer();
  }
}

export function request(overrides: Partial<ApnsRequest> = {}): ApnsRequest {
  return {
    token: TOKEN,
    topic: 'com.example.app',
    pushType: 'alert',
    apnsId: randomUUID(),
    payload: '{"aps":{"alert":"hi"}}',
    ...overrides,
  };
}

/** A pool trusting the server's CA, token auth (CountingTokens), 5 s request timeout. */
export function pool(
  server: Pick<TestServer, 'url' | 'ca'>,
  extra: Partial<Http2PoolOptions> = {},
): Http2Pool {
  return new Http2Pool({
    url: server.url,
    ca: server.ca,
    auth: { kind: 'token', token: new CountingTokens() },
    requestTimeoutMs: 5_000,
    ...extra,
  });
}
