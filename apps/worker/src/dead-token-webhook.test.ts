/**
 * The dead-token webhook against a real local HTTP receiver that verifies every signature: every dead token
 * is seen at least once across a receiver outage (connection refused, then 500s), and the failures and the
 * lag are metered.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedApp } from '@pushfleet/config';
import { Registry } from '@pushfleet/metrics';
import { recordInvalidToken } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startDeadTokenWebhooks } from './dead-token-webhook.js';
import { signWebhookBody, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';

const secret = 'whsec_test_0123456789abcdef';

interface Receiver {
  readonly seen: Map<string, number>;
  readonly bad: number;
  readonly posts: number;
  /** Answer this status (instead of 200) while set. */
  failWith: number | undefined;
  listen(port?: number): Promise<number>;
  close(): Promise<void>;
}

function receiver(): Receiver {
  const seen = new Map<string, number>();
  let server: Server | undefined;
  const r = {
    seen,
    bad: 0,
    posts: 0,
    failWith: undefined as number | undefined,
    async listen(port = 0) {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          r.posts++;
          const header = req.headers[WEBHOOK_SIGNATURE_HEADER] as string | undefined;
          if (!verifyWebhookSignature(secret, body, header)) {
            r.bad++;
            res.writeHead(401).end();
            return;
          }
          if (r.failWith) {
            res.writeHead(r.failWith).end();
            return;
          }
          const { app, tokens } = JSON.parse(body) as {
            app: string;
            tokens: Array<{ token: string; reason: string }>;
          };
          expect(app).toBe('hooked');
          for (const t of tokens) seen.set(t.token, (seen.get(t.token) ?? 0) + 1);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    },
    async close() {
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      server?.closeAllConnections();
    },
  };
  return r;
}

const app = (url: string, batchSize = 3): ResolvedApp =>
  ({
    name: 'hooked',
    topics: ['com.example.hooked'],
    transport: 'http2',
    url: 'https://127.0.0.1:1',
    apnsEnvironment: 'sandbox',
    auth: { kind: 'token', keyPem: '', keyId: 'ABCDE12345', teamId: 'TEAM123456' },
    webhook: { url, secret, batchSize },
  }) as ResolvedApp;

const hex = (i: number) => i.toString(16).padStart(64, 'e');
const record = (redis: Redis, i: number) =>
  recordInvalidToken(redis, {
    app: 'hooked',
    token: hex(i),
    reason: 'Unregistered',
    timestamp: Date.now(),
    source: 'http2',
  });

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('signatures', () => {
  it('verify only the signed body, with the signed timestamp, within the tolerance', () => {
    const now = 1_800_000_000;
    const header = signWebhookBody(secret, '{"a":1}', now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, '{"a":1}', header, 300, now + 10)).toBe(true);
    expect(verifyWebhookSignature(secret, '{"a":2}', header, 300, now)).toBe(false);
    expect(verifyWebhookSignature('another secret!!', '{"a":1}', header, 300, now)).toBe(false);
    expect(
      verifyWebhookSignature(secret, '{"a":1}', header.replace('t=1800000000', 't=1800000001'), 300, now),
    ).toBe(false);
    expect(verifyWebhookSignature(secret, '{"a":1}', header, 300, now + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, '{"a":1}', undefined)).toBe(false);
  });
});

describe('dead-token webhook', () => {
  it('delivers every dead token at least once across a receiver outage, signed, and meters it', {
    timeout: 30_000,
  }, async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const rx = receiver();
    const port = await rx.listen();
    const registry = new Registry();
    const hooks = startDeadTokenWebhooks([app(`http://127.0.0.1:${port}/hooks/dead`)], redis, registry, {
      pollMs: 50,
      retryBaseMs: 50,
      retryMaxMs: 200,
    });
    try {
      for (let i = 0; i < 7; i++) await record(redis, i);
      await until('the first 7', () => rx.seen.size === 7);

      // Outage 1: nothing listens (connection refused) while more tokens die.
      await rx.close();
      for (let i = 7; i < 12; i++) await record(redis, i);
      await until('failed posts', async () => /outcome="failed"\} [1-9]/.test(await registry.metrics()));
      const lagging = await registry.metrics();
      expect(lagging).toMatch(/pushfleet_webhook_lag_seconds\{app="hooked"\} (?!0\n)[\d.e-]+/);

      // Outage 2: it listens again but answers 500 for a while.
      rx.failWith = 500;
      await rx.listen(port);
      await until('500s', () => rx.posts >= 2);
      expect(rx.seen.size).toBe(7);
      rx.failWith = undefined;

      await until('all 12', () => rx.seen.size === 12);
      for (let i = 0; i < 12; i++) expect(rx.seen.get(hex(i)), `token ${i}`).toBeGreaterThanOrEqual(1);
      expect(rx.bad).toBe(0);
      await until('lag back to 0', async () =>
        /pushfleet_webhook_lag_seconds\{app="hooked"\} 0\n/.test(await registry.metrics()),
      );
      const text = await registry.metrics();
      expect(text).toMatch(/pushfleet_webhook_posts_total\{app="hooked",outcome="delivered"\} [1-9]/);
      expect(text).toMatch(/pushfleet_webhook_tokens_delivered_total\{app="hooked"\} (1[2-9]|[2-9]\d)/);
    } finally {
      await hooks.stop();
      await rx.close();
      redis.disconnect();
    }
  });

  it('a second worker delivers nothing while the first holds the lease, and takes over when it stops', {
    timeout: 20_000,
  }, async () => {
    await using server = await startRedisServer();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const rx = receiver();
    const port = await rx.listen();
    const options = { pollMs: 30, retryBaseMs: 30, retryMaxMs: 100, leaseMs: 2000 };
    const url = `http://127.0.0.1:${port}/`;
    const first = startDeadTokenWebhooks([app(url, 100)], redis, new Registry(), {
      ...options,
      owner: 'first',
    });
    await new Promise((r) => setTimeout(r, 100)); // first takes the lease
    const second = startDeadTokenWebhooks([app(url, 100)], redis, new Registry(), {
      ...options,
      owner: 'second',
    });
    try {
      for (let i = 0; i < 20; i++) await record(redis, i);
      await until('20 tokens', () => rx.seen.size === 20);
      expect([...rx.seen.values()].every((n) => n === 1)).toBe(true); // one dispatcher: no doubles
      await first.stop(); // releases the lease
      for (let i = 20; i < 25; i++) await record(redis, i);
      await until('the second one delivers', () => rx.seen.size === 25);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await rx.close();
      redis.disconnect();
    }
  });
});
