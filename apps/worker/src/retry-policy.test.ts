import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decideRetry, expiredBeforeSend, retryHorizon } from './retry-policy.js';

const policy = DEFAULT_RETRY_POLICY;
const now = 1_800_000_000_000;
const retry503 = { kind: 'answer', action: 'retry' } as const;

describe('retry policy', () => {
  it('backs off exponentially with full jitter: the ceiling doubles per try and stops at maxDelayMs', () => {
    const at = (tries: number, r: number) =>
      decideRetry(policy, { cause: retry503, tries, enqueuedAt: now, now }, () => r);
    expect(at(1, 1)).toMatchObject({ retry: true, atMs: now + 1000 });
    expect(at(3, 1)).toMatchObject({ retry: true, atMs: now + 4000 });
    expect(at(3, 0.5)).toMatchObject({ retry: true, atMs: now + 2000 });
    expect(at(30, 1)).toMatchObject({ retry: true, atMs: now + policy.maxDelayMs });
  });

  it('never waits less than the floor, even when the jitter draws 0', () => {
    const d = decideRetry(policy, { cause: retry503, tries: 1, enqueuedAt: now, now }, () => 0);
    expect(d).toMatchObject({ retry: true, atMs: now + policy.floorMs });
  });

  it("honours Apple's retry-after over a shorter backoff, and past maxDelayMs", () => {
    const cause = { kind: 'answer', action: 'retry', retryAfterMs: 600_000 } as const;
    const d = decideRetry(policy, { cause, tries: 1, enqueuedAt: now, now }, () => 1);
    expect(d).toMatchObject({ retry: true, atMs: now + 600_000 });
  });

  it('asks for a fresh connection on reconnect, jwt and protocol errors, not on a plain retry or a reset', () => {
    const fresh = (cause: Parameters<typeof decideRetry>[1]['cause']) => {
      const d = decideRetry(policy, { cause, tries: 1, enqueuedAt: now, now });
      return d.retry && d.freshConnection;
    };
    expect(fresh({ kind: 'answer', action: 'reconnect' })).toBe(true);
    expect(fresh({ kind: 'answer', action: 'jwt' })).toBe(true);
    expect(fresh({ kind: 'transport', code: 'PROTOCOL' })).toBe(true);
    expect(fresh(retry503)).toBe(false);
    expect(fresh({ kind: 'transport', code: 'STREAM_RESET' })).toBe(false);
  });

  it("retries until the notification's own apns-expiration, then gives it up as expired", () => {
    const expiration = Math.floor(now / 1000) + 3600;
    const input = { cause: retry503, tries: 40, enqueuedAt: now - 86_400_000 * 2, expiration };
    expect(decideRetry(policy, { ...input, now }, () => 1)).toMatchObject({ retry: true });
    const late = decideRetry(policy, { ...input, now: expiration * 1000 - 10 });
    expect(late).toMatchObject({ retry: false, outcome: 'expired' });
  });

  it('takes one last try just inside the horizon instead of overshooting it', () => {
    const expiration = Math.floor(now / 1000) + 2; // 2 s left, backoff would be 5 min
    const d = decideRetry(policy, { cause: retry503, tries: 30, enqueuedAt: now, expiration, now }, () => 1);
    expect(d).toMatchObject({ retry: true, atMs: expiration * 1000 - policy.floorMs });
  });

  it('without an expiration: retried for maxAgeMs after enqueue, then dead-lettered', () => {
    expect(retryHorizon(policy, now)).toBe(now + 24 * 3600_000);
    const input = { cause: retry503, tries: 100, enqueuedAt: now };
    expect(decideRetry(policy, { ...input, now: now + 23 * 3600_000 })).toMatchObject({ retry: true });
    expect(decideRetry(policy, { ...input, now: now + 24 * 3600_000 })).toMatchObject({
      retry: false,
      outcome: 'dead-lettered',
    });
  });

  it('expiration 0 gets the short no-store horizon, not 24 hours', () => {
    expect(retryHorizon(policy, now, 0)).toBe(now + policy.noStoreHorizonMs);
    const d = decideRetry(policy, {
      cause: retry503,
      tries: 2,
      enqueuedAt: now,
      expiration: 0,
      now: now + 60_000,
    });
    expect(d).toMatchObject({ retry: false, outcome: 'expired' });
  });

  it('a 10-minute outage stays well inside the default horizon: every try is scheduled', () => {
    let t = now;
    for (let tries = 1; t < now + 10 * 60_000; tries++) {
      const d = decideRetry(policy, {
        cause: { kind: 'transport', code: 'CONNECT_FAILED' },
        tries,
        enqueuedAt: now,
        now: t,
      });
      expect(d.retry).toBe(true);
      if (d.retry) t = d.atMs;
    }
  });

  it('refuses to send what waited in the queue past its horizon', () => {
    expect(
      expiredBeforeSend(policy, { enqueuedAt: now, expiration: Math.floor(now / 1000) - 1 }, now),
    ).toMatchObject({
      retry: false,
      outcome: 'expired',
    });
    expect(expiredBeforeSend(policy, { enqueuedAt: now }, now + 1000)).toBeUndefined();
  });
});
