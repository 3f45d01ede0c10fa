import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { ApnsRequest, Verdict } from '@pushfleet/apns';
import { TransportError } from '@pushfleet/apns';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeGateway, startFakeGateway } from './__fixtures__/fake-gateway.js';
import { encodeErrorResponse } from './error-response.js';
import { LegacyClient } from './legacy-client.js';
import type { LegacyClientOptions } from './legacy-client-options.js';

const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'cd'.repeat(28)}`;
const request = (i: number, extra: Partial<ApnsRequest> = {}): ApnsRequest => ({
  token: tokenOf(i),
  topic: 'com.example.app',
  pushType: 'alert',
  apnsId: `id-${i}`,
  payload: `{"aps":{"alert":"${i}"}}`,
  ...extra,
});

let gw: FakeGateway;
beforeEach(async () => {
  gw = await startFakeGateway();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await gw.close();
});

function client(extra: Partial<LegacyClientOptions> = {}): LegacyClient {
  return new LegacyClient({
    host: '127.0.0.1',
    port: gw.port,
    ca: gw.ca,
    servername: 'localhost',
    cert: gw.client.cert,
    key: gw.client.key,
    deliveryWindowMs: 100,
    connectGraceMs: 20,
    ...extra,
  });
}

const sendAll = (c: LegacyClient, n: number, from = 0): Promise<Verdict[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => c.send(request(from + i))));

describe('LegacyClient', () => {
  it('writes the sends of one event-loop turn with ONE socket write, identifiers 1..n', async () => {
    const write = vi.spyOn(Duplex.prototype, 'write');
    await using c = client();
    const verdicts = await sendAll(c, 200);
    expect(verdicts.every((v) => v.outcome === 'delivered' && v.status === 200)).toBe(true);
    expect(verdicts[7]!.apnsId).toBe('id-7');
    expect(write.mock.contexts.filter((socket) => socket instanceof TLSSocket)).toHaveLength(1);
    expect(gw.frames.map((f) => f.identifier)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(gw.frames[199]).toMatchObject({ command: 2, token: tokenOf(199), priority: 10, expiry: 0 });
  });

  it('maps priority 5 and 1 to 5, keeps expiry, lowercases the token', async () => {
    await using c = client();
    await Promise.all([
      c.send(request(1, { priority: 5, expiration: 1_800_000_000 })),
      c.send(request(2, { priority: 1, token: tokenOf(2).toUpperCase() })),
    ]);
    expect(gw.frames.map((f) => [f.priority, f.expiry, f.token])).toEqual([
      [5, 1_800_000_000, tokenOf(1)],
      [5, 0, tokenOf(2)],
    ]);
  });

  it('answers locally what the gateway could only refuse, without connecting', async () => {
    await using c = client();
    const [short, notHex, empty, big] = await Promise.all([
      c.send(request(1, { token: 'ab'.repeat(20) })),
      c.send(request(2, { token: 'zz'.repeat(32) })),
      c.send(request(3, { payload: '' })),
      c.send(request(4, { payload: 'x'.repeat(2049) })),
    ]);
    expect(short).toMatchObject({ outcome: 'token-invalid', reason: 'InvalidTokenSize', legacyStatus: 5 });
    expect(notHex).toMatchObject({ outcome: 'token-invalid', reason: 'InvalidToken', legacyStatus: 8 });
    expect(empty).toMatchObject({ outcome: 'rejected', reason: 'MissingPayload', legacyStatus: 4 });
    expect(big).toMatchObject({
      outcome: 'rejected',
      reason: 'InvalidPayloadSize',
      legacyStatus: 7,
      status: 413,
    });
    expect(gw.connections).toHaveLength(0);
  });

  it('on `08 08 id`: the named one is token-invalid, earlier ones delivered, later ones re-sent on a new connection', async () => {
    gw.onFrame = (frame, conn) => {
      if (conn.id === 1 && frame.identifier === 40)
        conn.socket.end(encodeErrorResponse(8, frame.identifierBytes));
    };
    await using c = client();
    const verdicts = await sendAll(c, 100);
    expect(verdicts[39]).toMatchObject({
      outcome: 'token-invalid',
      reason: 'InvalidToken',
      legacyStatus: 8,
      apnsId: 'id-39',
    });
    expect(verdicts.filter((v) => v.outcome === 'delivered')).toHaveLength(99);
    expect(gw.connections[1]!.frames.map((f) => f.token)).toEqual(
      Array.from({ length: 60 }, (_, i) => tokenOf(40 + i)),
    );
    expect(gw.connections[1]!.frames[0]!.identifier).toBe(1); // a fresh counter per connection
    expect(c.stats).toMatchObject({ resent: 60, errorResponses: 1, bufferTooSmall: 0 });
  });

  it('status 1 (processing error) is a retry verdict', async () => {
    gw.onFrame = (frame, conn) => {
      if (conn.id === 1 && frame.identifier === 2)
        conn.socket.end(encodeErrorResponse(1, frame.identifierBytes));
    };
    await using c = client();
    const verdicts = await sendAll(c, 3);
    expect(verdicts.map((v) => v.outcome)).toEqual(['delivered', 'retry', 'delivered']);
    expect(verdicts[1]).toMatchObject({ action: 'retry', reason: 'ProcessingError', status: 500 });
  });

  it('an identifier not in the resend buffer: everything is re-sent, counted as bufferTooSmall', async () => {
    gw.onFrame = (frame, conn) => {
      if (conn.id === 1 && frame.identifier === 5) conn.socket.end(encodeErrorResponse(8, 0xffff));
    };
    await using c = client();
    const verdicts = await sendAll(c, 5);
    expect(verdicts.every((v) => v.outcome === 'delivered')).toBe(true);
    expect(gw.connections[1]!.frames).toHaveLength(5);
    expect(c.stats.bufferTooSmall).toBe(1);
  });

  it('a connection closed with no error packet: the unconfirmed tail is re-sent (at-least-once)', async () => {
    gw.onFrame = (frame, conn) => {
      if (conn.id === 1 && frame.identifier === 10) conn.socket.destroy();
    };
    await using c = client();
    const verdicts = await sendAll(c, 10);
    expect(verdicts.every((v) => v.outcome === 'delivered')).toBe(true);
    expect(gw.connections).toHaveLength(2);
    expect(gw.connections[1]!.frames).toHaveLength(10);
  });

  it('a gateway that always drops the connection: TransportError CLOSED after 3 re-sends', async () => {
    gw.onFrame = (_frame, conn) => conn.socket.destroy();
    await using c = client();
    const error = await c.send(request(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('CLOSED');
    expect(gw.connections).toHaveLength(4);
  });

  it('a gateway that closes right after the handshake: CONNECT_FAILED after maxConnectAttempts', async () => {
    gw.onConnection = (socket) => {
      socket.end();
      return false;
    };
    // A grace of 1 s, not the suite's 20 ms: on a loaded machine the gateway's close came later than 20 ms
    // after the handshake, so the connection counted as open and its send as closed (CLOSED, in CI).
    await using c = client({ maxConnectAttempts: 2, connectGraceMs: 1000 });
    const error = (await c.send(request(1)).catch((e: unknown) => e)) as TransportError;
    expect(error.code).toBe('CONNECT_FAILED');
    expect(error.message).toContain('probably for the other environment');
    expect(error.message).toContain('(2 attempts in a row)');
  });

  it('nothing listening: CONNECT_FAILED', async () => {
    await gw.close();
    await using c = client({ maxConnectAttempts: 1 });
    const error = (await c.send(request(1)).catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('CONNECT_FAILED');
  });

  it('connect() opens the connection before any send: capacity() is the resend ring at once', async () => {
    await using c = client({ resendBufferSize: 300 });
    expect(c.capacity()).toBe(0);
    await c.connect();
    expect(gw.connections).toHaveLength(1);
    expect(c.capacity()).toBe(300);
    await c.connect(); // already open: nothing more
    await sendAll(c, 10);
    expect(gw.connections).toHaveLength(1); // the sends went out on it
    expect(gw.frames).toHaveLength(10);
  });

  it('connect() rejects with the failed attempt; a later connect() or send tries again', async () => {
    let refuse = true;
    gw.onConnection = (socket) => {
      if (!refuse) return true;
      socket.end();
      return false;
    };
    await using c = client({ maxConnectAttempts: 3 });
    const error = (await c.connect().catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    refuse = false;
    await c.connect(); // during the reconnect backoff: opens when it ends, with nothing queued
    expect(c.capacity()).toBeGreaterThan(0);
    const [verdict] = await sendAll(c, 1);
    expect(verdict!.outcome).toBe('delivered');
  });

  it('close() waits out the delivery window, so a late error packet is still read', async () => {
    gw.onFrame = (frame, conn) => {
      if (frame.identifier === 1) setTimeout(() => conn.socket.end(encodeErrorResponse(8, 1)), 150);
    };
    const c = client({ deliveryWindowMs: 400 });
    const verdict = c.send(request(1));
    await c.close();
    expect(await verdict).toMatchObject({ outcome: 'token-invalid', legacyStatus: 8 });
    await expect(c.send(request(2))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('a full resend buffer holds sends back until the window frees room (never early "delivered")', async () => {
    await using c = client({ resendBufferSize: 10, deliveryWindowMs: 50 });
    const started = performance.now();
    const verdicts = await sendAll(c, 35);
    expect(verdicts.every((v) => v.outcome === 'delivered')).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * 50 - 5);
    expect(gw.frames).toHaveLength(35);
  });

  it('settles a window of 5,000 a slice per event-loop turn, in order, so I/O runs in between', async () => {
    await using c = client();
    // A turn counter that only advances when the loop gets round to its check phase.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const settledIn: number[] = [];
    const verdicts = await Promise.all(
      Array.from({ length: 5000 }, (_, i) =>
        c.send(request(i)).then((v) => {
          settledIn[i] = turn;
          return v;
        }),
      ),
    );
    ticking = false;
    expect(verdicts.every((v, i) => v.outcome === 'delivered' && v.apnsId === `id-${i}`)).toBe(true);
    expect(gw.frames).toHaveLength(5000); // one window: all written before any was confirmed
    // 1,000 per turn: the window's 5,000 over five turns at least, never a later one before an earlier one.
    expect(new Set(settledIn).size).toBeGreaterThanOrEqual(5);
    expect(settledIn.every((t, i) => i === 0 || t >= settledIn[i - 1]!)).toBe(true);
  });

  it('names a bad option', () => {
    expect(() => client({ resendBufferSize: 0 })).toThrow('resendBufferSize: must be a positive integer');
    expect(() => client({ deliveryWindowMs: -1 })).toThrow('deliveryWindowMs: must be a positive number');
    expect(() => client({ cert: '' })).toThrow('cert: is required');
  });
});
