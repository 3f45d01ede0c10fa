/**
 * A connection that goes silent while traffic flows (the simulator's silentDisconnectRate: no RST, no GOAWAY,
 * no PING ACK) is found and dropped, and what it swallowed is sent again on a new one. Writing to a
 * connection says nothing about whether the peer is there: only what it sends back does.
 */
import { randomUUID } from 'node:crypto';
import { type ApnsRequest, Http2Pool, ProviderToken, TransportError } from '@pushfleet/apns';
import { loadSigningKey } from '@pushfleet/credentials';
import { BUSY_SILENCE_MS } from '@pushfleet/h2';
import { createProviderKey, startSimulator } from '@pushfleet/simulator';
import { describe, expect, it } from 'vitest';

const TOPIC = 'com.example.app';
const providerKey = createProviderKey();

function request(i: number): ApnsRequest {
  const token = i.toString(16).padStart(64, '0');
  return { token, topic: TOPIC, pushType: 'alert', apnsId: randomUUID(), payload: '{"aps":{"alert":"hi"}}' };
}

/** A simulator that silences every connection after its first stream, and a one-session pool on it. */
async function silencingSimulator(pool: { requestTimeoutMs?: number; pingTimeoutMs: number }) {
  const sim = await startSimulator({
    keys: [providerKey],
    certificatePort: null,
    faults: { silentDisconnectRate: 1 },
  });
  const token = new ProviderToken({
    key: loadSigningKey(providerKey.privateKeyPem, 'test.p8'),
    keyId: providerKey.keyId,
    teamId: providerKey.teamId,
  });
  const http2 = new Http2Pool({
    url: sim.url,
    ca: sim.ca,
    auth: { kind: 'token', token },
    maxSessions: 1,
    ...pool,
  });
  return {
    sim,
    pool: http2,
    [Symbol.asyncDispose]: async () => {
      await http2.close();
      await sim.close();
    },
  };
}

describe('a silent connection under load', () => {
  it('is dropped after a request times out and a PING goes unanswered; later requests are delivered on a new one', async () => {
    // The PING interval stays at its default (60 s): the check must come from the timeout, not from idleness.
    await using fleet = await silencingSimulator({ requestTimeoutMs: 400, pingTimeoutMs: 300 });
    const { sim, pool } = fleet;
    const first = await pool.send(request(0)).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TransportError);
    expect((first as TransportError).code).toBe('TIMEOUT');
    expect(sim.faults.counters.silenced).toBe(1);
    sim.faults.clear();

    // One request after another, so the silent connection is written to all the time.
    const outcomes: string[] = [];
    for (let i = 1; i <= 8; i++) {
      const v = await pool.send(request(i)).then(
        (verdict) => verdict.outcome,
        (e: TransportError) => e.code,
      );
      outcomes.push(v);
    }
    expect(outcomes.at(-1)).toBe('delivered');
    expect(outcomes.filter((o) => o === 'delivered').length).toBeGreaterThanOrEqual(6);
    expect(pool.stats.connectionsOpened).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it(
    'is checked once requests have waited BUSY_SILENCE_MS on it, long before their timeout: the request is delivered',
    async () => {
      // The request timeout stays at its default (30 s), the idle PING at 60 s: only the busy-silence check can
      // find the connection in time for this request to be re-sent and delivered rather than time out.
      await using fleet = await silencingSimulator({ pingTimeoutMs: 300 });
      const { sim, pool } = fleet;
      const sending = pool.send(request(100));
      while (sim.faults.counters.silenced === 0) await new Promise((r) => setTimeout(r, 20));
      sim.faults.clear(); // the next connection answers
      const verdict = await sending;
      expect(verdict.outcome).toBe('delivered');
      expect(pool.stats.connectionsOpened).toBe(2);
      expect(pool.stats.resent).toBe(1);
    },
    BUSY_SILENCE_MS + 10_000,
  );
});
