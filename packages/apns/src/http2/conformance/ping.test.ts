/**
 * RFC 9113 6.7 (PING) and 10.5 (denial of service): a PING is answered with an ACK carrying the same 8 bytes;
 * a PING of another length is FRAME_SIZE_ERROR, one on a stream PROTOCOL_ERROR. A flood of PINGs from a
 * server that does not read the ACKs must not make the client buffer them without bound: it either stops
 * reading until its writes drain, or ends the connection (ENHANCE_YOUR_CALM, RFC 9113 10.5): that case is in
 * ping-flood.test.ts, which watches the client's socket.
 */
import { ErrorCode, Flag, FrameType } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { answeredBy, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import { errorName, pingFrame, rawFrame } from './__fixtures__/frames.js';
import { label, startRawH2Server } from './__fixtures__/raw-h2-server.js';

const name = errorName;

/** A server whose connections answer every request 200, and one answered send so the session is up. */
async function connected() {
  const server = await startRawH2Server((c) => {
    c.onRequest = (r) => c.respond(r.streamId, 200, label(c));
  });
  const pool = poolFor(server);
  expect(answeredBy(await track(pool).outcome())).toBe(label(0));
  const connection = await server.connection(0);
  await connection.sync();
  return { server, pool, connection };
}

describe('RFC 9113 6.7 PING', () => {
  it.each([7, 9])('6.7: a PING with a %i-byte payload is FRAME_SIZE_ERROR', async (length) => {
    // The length is checked apart from the stream id: FRAME_SIZE_ERROR (was PROTOCOL_ERROR).
    const result = await onFirstConnection(badFrames(rawFrame(FrameType.PING, 0, 0, Buffer.alloc(length))));
    expect(result.goaway).toBe(name(ErrorCode.FRAME_SIZE_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.7: a PING on a stream is PROTOCOL_ERROR', async () => {
    const result = await onFirstConnection(badFrames(rawFrame(FrameType.PING, 0, 1, Buffer.alloc(8))));
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
  });

  it('6.7: a PING is answered with an ACK of the same payload; a PING ACK is not answered', async () => {
    using watch = watchProcess();
    const { server, pool, connection } = await connected();
    await using _server = server;
    await using _pool = pool;
    const before = connection.frames.length;
    connection.write(pingFrame(Buffer.from('ackedack'), Flag.ACK), pingFrame(Buffer.from('12345678')));
    await connection.sync();
    const pings = connection.frames.slice(before).filter((f) => f.type === FrameType.PING);
    // The answer to ours, then the sync probe's: nothing for the unsolicited ACK.
    expect(pings.map((f) => [f.flags, f.payload.toString('latin1', 0, 5)])).toEqual([
      [Flag.ACK, '12345'],
      [Flag.ACK, 'probe'],
    ]);
    expect(watch.errors).toEqual([]);
  });
});

describe('RFC 9113 10.5 PING flood', () => {
  it('10.5: 10,000 PINGs in one write are all answered, in order (or the client ends with ENHANCE_YOUR_CALM)', async () => {
    using watch = watchProcess();
    const { server, pool, connection } = await connected();
    await using _server = server;
    await using _pool = pool;
    const n = 10_000;
    const opaque = (i: number) => Buffer.from(`f${String(i).padStart(7, '0')}`);
    connection.write(...Array.from({ length: n }, (_, i) => pingFrame(opaque(i))));
    const acks = () => connection.frames.filter((f) => f.type === FrameType.PING && f.payload[0] === 0x66);
    await connection.waitFor(`${n} PING ACKs or GOAWAY`, () =>
      acks().length === n || connection.goaways.length > 0 ? true : undefined,
    );
    const goaway = connection.goaways[0];
    if (goaway !== undefined) {
      expect(name(goaway.code)).toBe(name(ErrorCode.ENHANCE_YOUR_CALM));
    } else {
      expect(acks().every((f, i) => f.payload.equals(opaque(i)))).toBe(true);
      expect(answeredBy(await track(pool).outcome())).toBe(label(0)); // still usable
    }
    expect(watch.errors).toEqual([]);
  });
});
