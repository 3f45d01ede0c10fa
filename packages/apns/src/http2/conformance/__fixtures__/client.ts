/**
 * The client side of the conformance suites: an Http2Pool (public API only) aimed at a raw server, requests, a
 * tracker that records how each send settled, and a process watch that catches what would otherwise escape as
 * an uncaught exception or unhandled rejection.
 */
import { randomUUID } from 'node:crypto';
import {
  type ApnsRequest,
  Http2Pool,
  type Http2PoolOptions,
  type ProviderTokenSource,
  TransportError,
  type Verdict,
} from '../../../index.js';
import { DEFAULT_WAIT_MS } from './raw-h2-server.js';

export const DEVICE_TOKEN = 'ab'.repeat(32);

const TOKEN_SOURCE: ProviderTokenSource = {
  bearer: () => 'bearer conformance',
  refreshAfterRejection: () => 'bearer conformance',
};

/**
 * A pool trusting the raw server's certificate: token auth, a 3 s request timeout (so close() is bounded
 * whatever the client does), reconnects after at most 20 ms.
 */
export function poolFor(server: { url: string; ca: string }, extra: Partial<Http2PoolOptions> = {}) {
  return new Http2Pool({
    url: server.url,
    ca: server.ca,
    auth: { kind: 'token', token: TOKEN_SOURCE },
    requestTimeoutMs: 3_000,
    reconnectMaxDelayMs: 20,
    ...extra,
  });
}

export function apnsRequest(overrides: Partial<ApnsRequest> = {}): ApnsRequest {
  return {
    token: DEVICE_TOKEN,
    topic: 'com.example.app',
    pushType: 'alert',
    apnsId: randomUUID(),
    payload: '{"aps":{"alert":"hi"}}',
    ...overrides,
  };
}

export type Settled =
  | { readonly kind: 'verdict'; readonly verdict: Verdict }
  | { readonly kind: 'error'; readonly error: unknown };

/** A send whose outcome is recorded the moment it settles (a handler is attached at once). */
export interface Tracked {
  readonly request: ApnsRequest;
  settled: Settled | undefined;
  /** The outcome; rejects after `ms` if the send is still pending. */
  outcome(ms?: number): Promise<Settled>;
}

export function track(pool: Http2Pool, request: ApnsRequest = apnsRequest()): Tracked {
  let done!: (s: Settled) => void;
  const settledPromise = new Promise<Settled>((resolve) => (done = resolve));
  const tracked: Tracked = {
    request,
    settled: undefined,
    outcome: (ms = DEFAULT_WAIT_MS) =>
      new Promise<Settled>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`send of ${request.apnsId} still pending after ${ms} ms`)),
          ms,
        );
        void settledPromise.then((s) => {
          clearTimeout(timer);
          resolve(s);
        });
      }),
  };
  pool.send(request).then(
    (verdict) => {
      tracked.settled = { kind: 'verdict', verdict };
      done(tracked.settled);
    },
    (error: unknown) => {
      tracked.settled = { kind: 'error', error };
      done(tracked.settled);
    },
  );
  return tracked;
}

/** The TransportError code of a failed send, or a description of what it was instead. */
export function transportCode(s: Settled): string {
  if (s.kind === 'verdict') return `verdict ${s.verdict.status} (${s.verdict.apnsId})`;
  return s.error instanceof TransportError ? s.error.code : `non-TransportError ${String(s.error)}`;
}

/** The apns-id of the answer (the raw server labels answers by connection), or the failure. */
export function answeredBy(s: Settled): string {
  return s.kind === 'verdict' ? s.verdict.apnsId : `failed: ${transportCode(s)}`;
}

/**
 * Catch uncaught exceptions and unhandled rejections for the duration of a test (`using watch =
 * watchProcess()`), instead of letting them reach the test runner's handlers, so that a test can assert there
 * were none (and an `it.fails` case about a crash stays a contained, expected failure). The runner's own
 * handlers are put back on dispose.
 */
export function watchProcess(): { readonly errors: unknown[] } & Disposable {
  const errors: unknown[] = [];
  const record = (error: unknown) => errors.push(error);
  const uncaught = process.listeners('uncaughtException');
  const unhandled = process.listeners('unhandledRejection');
  process.removeAllListeners('uncaughtException').on('uncaughtException', record);
  process.removeAllListeners('unhandledRejection').on('unhandledRejection', record);
  return {
    errors,
    [Symbol.dispose]() {
      process.removeListener('uncaughtException', record);
      process.removeListener('unhandledRejection', record);
      for (const listener of uncaught) process.on('uncaughtException', listener);
      for (const listener of unhandled) process.on('unhandledRejection', listener);
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolve once `condition()` holds (checked every 10 ms), or after `ms` regardless; true if it held. */
export async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!condition()) {
    if (performance.now() >= end) return false;
    await sleep(10);
  }
  return true;
}
