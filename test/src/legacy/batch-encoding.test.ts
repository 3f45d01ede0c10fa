/**
 * The legacy hot loop the benchmarks measure is the one the fleet runs: LegacyClient's sends of one
 * event-loop turn go through the batch encoders (writeFanOut for one payload to many tokens, writeBatch for
 * distinct payloads), and the simulator's gateway records every frame as it was meant.
 */
import { FrameEncoder, LegacyClient } from '@pushfleet/apns-legacy';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUNDLE, type LegacyFixture, requestFor, startLegacyFixture, tokenOf } from './legacy-fixture.js';

let fx: LegacyFixture;
beforeAll(async () => {
  fx = await startLegacyFixture();
});
afterAll(async () => {
  await fx?.close();
});
beforeEach(() => {
  fx.sim.legacy!.recorder.clear();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function client(): LegacyClient {
  return new LegacyClient({
    host: '127.0.0.1',
    port: fx.gatewayPort,
    ca: fx.sim.ca,
    cert: fx.client.certPem,
    key: fx.client.keyPem,
    deliveryWindowMs: 200,
    resendBufferSize: 20_000,
  });
}

describe('legacy batch encoding in production', () => {
  it('a fan-out of 10,000 is encoded by writeFanOut and arrives byte for byte: tokens, payload, ids, expiry', async () => {
    const fanOut = vi.spyOn(FrameEncoder.prototype, 'writeFanOut');
    const single = vi.spyOn(FrameEncoder.prototype, 'write');
    await using c = client();
    const payload = JSON.stringify({ aps: { alert: 'to everyone', sound: 'default' }, campaign: 'é-42' });
    const tokens = Array.from({ length: 10_000 }, (_, i) => tokenOf(i, 'f0'));
    const verdicts = await Promise.all(
      tokens.map((token, i) =>
        c.send({ ...requestFor(token, i), payload, expiration: 1_900_000_000, priority: 5 }),
      ),
    );
    expect(verdicts.every((v) => v.outcome === 'delivered')).toBe(true);
    expect(fanOut).toHaveBeenCalled();
    expect(fanOut.mock.calls.reduce((n, call) => n + call[0].length, 0)).toBe(10_000);
    expect(single).not.toHaveBeenCalled();

    const recorded = fx.sim.legacy!.recorder.accepted;
    expect(recorded).toHaveLength(10_000);
    expect(recorded.map((r) => r.token)).toEqual(tokens);
    for (const r of recorded) {
      expect(r).toMatchObject({ topic: BUNDLE, payload, expiry: 1_900_000_000, priority: 5, command: 2 });
    }
    const ids = recorded.map((r) => r.identifier);
    expect(new Set(ids).size).toBe(10_000);
  });

  it('distinct payloads are encoded by writeBatch and each arrives with its own payload', async () => {
    const batch = vi.spyOn(FrameEncoder.prototype, 'writeBatch');
    await using c = client();
    const tokens = Array.from({ length: 500 }, (_, i) => tokenOf(i, 'b0'));
    await Promise.all(tokens.map((token, i) => c.send(requestFor(token, i))));
    expect(batch).toHaveBeenCalled();
    const recorded = new Map(fx.sim.legacy!.recorder.accepted.map((r) => [r.token, r.payload]));
    for (const [i, t] of tokens.entries()) expect(recorded.get(t)).toBe(requestFor(t, i).payload);
  });
});
