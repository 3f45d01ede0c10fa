/**
 * LegacyClient against the simulator's legacy gateway over real mutual TLS: bursts with an error in the
 * middle, periodic rejections, shutdown, the wrong-environment close. "Zero lost, zero duplicated" is
 * counted per token at the gateway.
 */

import { TransportError, type Verdict } from '@pushfleet/apns';
import { LegacyClient, type LegacyClientOptions } from '@pushfleet/apns-legacy';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LegacyFixture, requestFor, startLegacyFixture, tokenOf } from './legacy-fixture.js';

let fx: LegacyFixture;
beforeAll(async () => {
  fx = await startLegacyFixture();
});
afterAll(async () => {
  await fx?.close();
});
beforeEach(() => {
  fx.sim.legacy!.configure({ rejectEvery: 0, shutdownAfter: 0 });
  fx.sim.legacy!.recorder.clear();
  fx.sim.devices.clear();
});

function client(extra: Partial<LegacyClientOptions> = {}): LegacyClient {
  return new LegacyClient({
    host: '127.0.0.1',
    port: fx.gatewayPort,
    ca: fx.sim.ca,
    cert: fx.client.certPem,
    key: fx.client.keyPem,
    deliveryWindowMs: 200,
    ...extra,
  });
}

/** How many times the gateway accepted each token. */
function acceptedPerToken(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of fx.sim.legacy!.recorder.accepted) counts.set(r.token, (counts.get(r.token) ?? 0) + 1);
  return counts;
}

async function sendAll(c: LegacyClient, tokens: string[]): Promise<Verdict[]> {
  return Promise.all(tokens.map((t, i) => c.send(requestFor(t, i))));
}

describe('LegacyClient -> legacy gateway', () => {
  it('delivers one notification with its token, topic, payload, expiry and priority', async () => {
    await using c = client();
    const token = tokenOf(1);
    const verdict = await c.send({
      ...requestFor(token.toUpperCase(), 1),
      priority: 5,
      expiration: 1_900_000_000,
    });
    expect(verdict).toEqual({
      outcome: 'delivered',
      action: undefined,
      status: 200,
      apnsId: requestFor(token, 1).apnsId,
    });
    const [r] = fx.sim.legacy!.recorder.accepted;
    expect(r).toMatchObject({
      token,
      topic: 'com.example.legacy',
      payload: '{"aps":{"alert":"n1"}}',
      identifier: 1,
      expiry: 1_900_000_000,
      priority: 5,
      command: 2,
    });
  });

  it('a dead token at position 5,000 of 10,000: reported with status 8, all before delivered once, all after re-sent once', async () => {
    await using c = client();
    const tokens = Array.from({ length: 10_000 }, (_, i) => tokenOf(i));
    fx.sim.devices.markDead(tokens[5000]!);
    const verdicts = await sendAll(c, tokens);

    expect(verdicts[5000]).toMatchObject({
      outcome: 'token-invalid',
      action: 'token',
      reason: 'InvalidToken',
      legacyStatus: 8,
    });
    expect(verdicts.filter((v) => v.outcome === 'delivered')).toHaveLength(9_999);
    const counts = acceptedPerToken();
    expect(counts.size).toBe(9_999);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.has(tokens[5000]!)).toBe(false);
    // One connection took 0..4999, the next 5001..9999.
    const rec = fx.sim.legacy!.recorder;
    expect(rec.counters.byStatus).toEqual({ 8: 1 });
    expect(rec.rejected[0]).toMatchObject({ token: tokens[5000], status: 8, identifier: 5001 });
    expect(new Set(rec.accepted.slice(0, 5000).map((r) => r.connectionId)).size).toBe(1);
    expect(rec.accepted[5000]!.connectionId).not.toBe(rec.accepted[0]!.connectionId);
    expect(c.stats.resent).toBe(4_999);
  }, 30_000);

  it('rejectEvery 100 over 10,000: zero lost, zero duplicated', async () => {
    fx.sim.legacy!.configure({ rejectEvery: 100 });
    await using c = client();
    const tokens = Array.from({ length: 10_000 }, (_, i) => tokenOf(i, 'b2'));
    const verdicts = await sendAll(c, tokens);
    const rec = fx.sim.legacy!.recorder;
    const rejected = new Set(rec.rejected.map((r) => r.token));
    const counts = acceptedPerToken();
    for (const [i, v] of verdicts.entries()) {
      const t = tokens[i]!;
      if (v.outcome === 'delivered') expect(counts.get(t), t).toBe(1);
      else {
        expect(v).toMatchObject({ outcome: 'token-invalid', legacyStatus: 8 });
        expect(rejected.has(t)).toBe(true);
        expect(counts.has(t)).toBe(false);
      }
    }
    expect(counts.size + rejected.size).toBe(10_000);
    expect(rejected.size).toBe(rec.counters.rejected);
    expect(rejected.size).toBeGreaterThanOrEqual(100);
  }, 60_000);

  it('shutdown (status 10): the named one and all before it delivered, the rest re-sent on a new connection', async () => {
    fx.sim.legacy!.configure({ shutdownAfter: 300 });
    await using c = client();
    const tokens = Array.from({ length: 1_000 }, (_, i) => tokenOf(i, 'c3'));
    const verdicts = await sendAll(c, tokens);
    expect(verdicts.every((v) => v.outcome === 'delivered')).toBe(true);
    const counts = acceptedPerToken();
    expect(counts.size).toBe(1_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(fx.sim.legacy!.recorder.counters.byStatus).toEqual({ 10: 3 });
    expect(new Set(fx.sim.legacy!.recorder.accepted.map((r) => r.connectionId)).size).toBe(4);
  }, 20_000);

  it('a certificate for the other environment: closed without an error packet -> CONNECT_FAILED naming the cause', async () => {
    const production = fx.certificate({ environments: ['production'] });
    await using c = client({ cert: production.certPem, key: production.keyPem, maxConnectAttempts: 2 });
    const error = await c.send(requestFor(tokenOf(7))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('CONNECT_FAILED');
    expect((error as TransportError).message).toMatch(
      /right after the TLS handshake, with no error packet: the client certificate is probably for the other environment/,
    );
    expect(fx.sim.legacy!.recorder.counters.refusedConnections).toBe(2);
    expect(fx.sim.legacy!.recorder.counters.accepted).toBe(0);
  });
});
