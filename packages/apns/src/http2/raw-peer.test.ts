/**
 * Http2Pool against a raw-frame TLS server that writes hand-built bytes: what node:http2 would never send.
 */
import { describe, expect, it } from 'vitest';
import { TransportError } from '../errors.js';
import { pool, request } from './__fixtures__/pool.js';
import { rawFrame, rawStatus, startRawH2Server } from './__fixtures__/raw-h2-server.js';
import { MAX_UNPROCESSED_RESENDS } from './client-options.js';

const PING = 0x6;
const GOAWAY = 0x7;
/** A PING whose length is not 8 is FRAME_SIZE_ERROR (RFC 9113 §6.7). */
const FRAME_SIZE_ERROR = 0x6;

/** Every answer is a PING of the wrong length (a connection error, RFC 9113 §6.7) and a 200 in the same write. */
function badPingThen200() {
  return startRawH2Server((connection, streamId) => {
    connection.socket.write(Buffer.concat([rawFrame(PING, 0, 0, Buffer.alloc(4)), rawStatus(streamId, 200)]));
  });
}

describe('Http2Pool against a raw-frame server: connection errors', () => {
  it('reads nothing after a connection error: a 200 behind a bad PING in the same read is not a verdict', async () => {
    await using server = await badPingThen200();
    await using p = pool(server, { reconnectMaxDelayMs: 20 });
    const outcome = await p.send(request()).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(TransportError);
    expect(server.connections).toHaveLength(MAX_UNPROCESSED_RESENDS + 1);
  });

  it('the GOAWAY of a connection error reaches the peer before the connection closes', async () => {
    await using server = await badPingThen200();
    const p = pool(server, { reconnectMaxDelayMs: 20 });
    const sent = p.send(request()).catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    while (server.connections.length === 0) await new Promise((r) => setTimeout(r, 10));
    const first = server.connections[0]!;
    await first.closed;
    const goaway = first.frames.find((f) => f.type === GOAWAY);
    expect(goaway?.payload.readUInt32BE(4)).toBe(FRAME_SIZE_ERROR);
    await sent;
    await p.close();
  });
});
