/**
 * RFC 9113 6.10 (CONTINUATION) and 10.5.1 (header block size): a header block is HEADERS plus CONTINUATION
 * frames on the same stream with nothing in between, and a client must bound how much of one it buffers (the
 * "CONTINUATION flood": a block that never ends, sent as fast as the client reads).
 */
import { ErrorCode, Flag } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { answeredBy, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import { continuationFrame, errorName, headersFrame, responseBlock } from './__fixtures__/frames.js';
import { label, serveOk, startRawH2Server } from './__fixtures__/raw-h2-server.js';

const name = errorName;
const NO_FLAGS = 0;

describe('RFC 9113 6.10 CONTINUATION', () => {
  it('6.10: a header block split over HEADERS and CONTINUATION frames is one block', async () => {
    const block = responseBlock(200, [['apns-id', label(0)]]);
    const result = await onFirstConnection((c, [r]) => {
      const id = r!.streamId;
      c.write(
        headersFrame(id, block.subarray(0, 1), Flag.END_STREAM),
        continuationFrame(id, block.subarray(1, 5), NO_FLAGS),
        continuationFrame(id, block.subarray(5, 5), NO_FLAGS),
        continuationFrame(id, block.subarray(5)),
      );
    });
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
  });

  it('6.10: a frame of another type inside a header block is a connection error (PROTOCOL_ERROR)', async () => {
    // The probe PING that badFrames writes after the HEADERS is the interleaved frame.
    const result = await onFirstConnection((c, [r]) =>
      badFrames(headersFrame(r!.streamId, responseBlock(200), NO_FLAGS))(c, []),
    );
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.10: CONTINUATION on another stream than the HEADERS is a connection error (PROTOCOL_ERROR)', async () => {
    const block = responseBlock(200);
    const result = await onFirstConnection(
      (c, [a, b]) =>
        badFrames(
          headersFrame(a!.streamId, block.subarray(0, 1), NO_FLAGS),
          continuationFrame(b!.streamId, block.subarray(1)),
        )(c, []),
      { requests: 2 },
    );
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1), label(1)]);
    expect(result.copies).toEqual([2, 2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.10: CONTINUATION without a HEADERS before it is a connection error (PROTOCOL_ERROR)', async () => {
    const result = await onFirstConnection((c, [r]) =>
      badFrames(continuationFrame(r!.streamId, responseBlock(200)))(c, []),
    );
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.10: a header block that never ends leaves the request to its timeout, without a hang', async () => {
    // HEADERS without END_HEADERS, then silence: the client cannot know more is not coming. The request must
    // still settle (timeout, or a re-send elsewhere if the client gives up on the connection).
    const result = await onFirstConnection(
      (c, [r]) => c.write(headersFrame(r!.streamId, responseBlock(200, [['apns-id', label(0)]]), NO_FLAGS)),
      { pool: { requestTimeoutMs: 500 } },
    );
    expect(result.answeredBy[0]).toMatch(/^(failed: TIMEOUT|conn-[1-9])$/);
    expect(result.uncaught).toEqual([]);
  });
});

describe('RFC 9113 10.5.1 header block size', () => {
  /**
   * What the server writes at most: the client must have ended the connection by then. APNs answers fit in a
   * few hundred bytes, so a client bound of 64 KiB to 1 MiB passes easily; the margin covers socket buffers.
   */
  const FLOOD = 4 << 20;

  it('10.5.1: an endless CONTINUATION flood ends the connection (a bounded header block)', async () => {
    // The frame reader bounds a header block (MAX_HEADER_BLOCK_BYTES, 64 KiB): past it, ENHANCE_YOUR_CALM.
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      if (c.index > 0) serveOk(c);
    });
    await using pool = poolFor(server, { requestTimeoutMs: 5_000 });
    const sent = track(pool);
    const first = await server.connection(0);
    const [r] = await first.ended(1);
    await first.sync();
    const id = r!.streamId;
    // The fragment repeats a literal header that is never completed into anything useful.
    const fragment = Buffer.alloc(16_384, 0x41);
    first.write(headersFrame(id, responseBlock(200), NO_FLAGS));
    let written = 0;
    while (written < FLOOD && !first.closed && first.goaways.length === 0) {
      const more = first.socket.write(continuationFrame(id, fragment, NO_FLAGS));
      written += fragment.length;
      if (!more) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, 1_000);
          first.socket.once('drain', done).once('close', done);
        });
      }
    }
    const ended = await first
      .waitFor(
        'GOAWAY or close after the flood',
        () => (first.goaways.length > 0 || first.closed ? true : undefined),
        1_000,
      )
      .then(
        () => true,
        () => false,
      );
    if (!ended) first.destroy(); // so that the request is re-sent and the test ends
    expect(ended).toBe(true);
    const goaway = first.goaways[0];
    if (goaway !== undefined) {
      expect(name(goaway.code)).toBeOneOf([
        name(ErrorCode.ENHANCE_YOUR_CALM),
        name(ErrorCode.PROTOCOL_ERROR),
        name(ErrorCode.COMPRESSION_ERROR),
        name(ErrorCode.INTERNAL_ERROR),
      ]);
    }
    expect(answeredBy(await sent.outcome(5_000))).toBe(label(1));
    expect(watch.errors).toEqual([]);
  });
});
