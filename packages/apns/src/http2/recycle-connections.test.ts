/** Http2Pool#recycleConnections: the reason table's `reconnect` acted on (fresh sessions, nothing lost). */
import { randomUUID } from 'node:crypto';
import type { Http2Session } from 'node:http2';
import { describe, expect, it } from 'vitest';
import { pool, request } from './__fixtures__/pool.js';
import { startTestServer } from './__fixtures__/test-server.js';

describe('Http2Pool#recycleConnections', () => {
  it('retires the open sessions (they finish what they carry) and sends later requests on a new one', async () => {
    const sessions = new Set<Http2Session>();
    await using server = await startTestServer((stream, headers) => {
      sessions.add(stream.session!);
      stream.respond(
        { ':status': 200, 'apns-id': String(headers['apns-id'] ?? randomUUID()) },
        { endStream: true },
      );
    });
    await using p = pool(server, { minSessions: 1, maxSessions: 1 });
    expect((await p.send(request())).outcome).toBe('delivered');
    expect(sessions.size).toBe(1);
    expect(p.capacity()).toBeGreaterThan(0); // one accepting session (this server sets no stream limit)
    const inFlight = p.send(request());
    p.recycleConnections();
    p.recycleConnections(); // a burst of reconnect answers recycles once
    expect((await inFlight).outcome).toBe('delivered');
    expect((await p.send(request())).outcome).toBe('delivered');
    expect(sessions.size).toBe(2);
    expect(p.stats.connectionsOpened).toBe(2);
  });
});
