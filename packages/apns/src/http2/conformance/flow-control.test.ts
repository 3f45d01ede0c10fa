/**
 * RFC 9113 6.9 (WINDOW_UPDATE), 6.9.1 (the flow-control window) and 6.9.2 (initial window size). Stream-level
 * faults are stream errors (RST_STREAM on that stream, the connection carries on); connection-level ones are
 * connection errors. Flow control is per stream: one stream out of window must not hold back the others.
 */
import { ErrorCode, FrameType, MAX_WINDOW, Setting } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { answeredBy, apnsRequest, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import { errorName, rawFrame, settingsFrame, windowUpdateFrame } from './__fixtures__/frames.js';
import {
  type ClientRequest,
  label,
  type RawConnection,
  startRawH2Server,
} from './__fixtures__/raw-h2-server.js';

const name = errorName;
const DEFAULT_WINDOW = 65_535;
const bodyLength = (r: ClientRequest) => r.body.reduce((n, b) => n + b.length, 0);

/** A stream error: write `frames` and a probe; the client must reset the stream and answer the probe. */
const streamFault =
  (frames: (r: ClientRequest) => Buffer[]) =>
  async (c: RawConnection, [r]: ClientRequest[]) => {
    await c.reaction(frames(r!));
  };

/** What a send may become after the client reset its stream: a transport failure, or a re-send's answer. */
const AFTER_RESET = /^(failed: (STREAM_RESET|PROTOCOL)|conn-\d+)$/;

describe('RFC 9113 6.9 WINDOW_UPDATE', () => {
  it('6.9: a WINDOW_UPDATE of 0 on a stream is a stream error (RST_STREAM PROTOCOL_ERROR)', async () => {
    // The client resets the stream with PROTOCOL_ERROR and the send fails (was: accepted silently).
    const result = await onFirstConnection(
      streamFault((r) => [windowUpdateFrame(r.streamId, 0)]),
      { pool: { requestTimeoutMs: 1_500 } },
    );
    expect(result.resets).toEqual([`1 ${name(ErrorCode.PROTOCOL_ERROR)}`]);
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy[0]).toMatch(AFTER_RESET);
    expect(result.uncaught).toEqual([]);
  });

  it('6.9: a WINDOW_UPDATE of 0 on stream 0 is a connection error (PROTOCOL_ERROR)', async () => {
    const result = await onFirstConnection(badFrames(windowUpdateFrame(0, 0)));
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.9: a WINDOW_UPDATE whose length is not 4 is FRAME_SIZE_ERROR', async () => {
    const result = await onFirstConnection(
      badFrames(rawFrame(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(5, 1))),
    );
    expect(result.goaway).toBe(name(ErrorCode.FRAME_SIZE_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
  });
});

describe('RFC 9113 6.9.1 window overflow', () => {
  it('6.9.1: a stream WINDOW_UPDATE past 2^31-1 is a stream error (RST_STREAM FLOW_CONTROL_ERROR)', async () => {
    // The client checks the stream window against 2^31-1 and resets it. (The stream is half-closed (local) here, which
    // still has a send window the peer can update, RFC 9113 5.1.)
    const result = await onFirstConnection(
      streamFault((r) => [windowUpdateFrame(r.streamId, MAX_WINDOW)]),
      {
        pool: { requestTimeoutMs: 1_500 },
      },
    );
    expect(result.resets).toEqual([`1 ${name(ErrorCode.FLOW_CONTROL_ERROR)}`]);
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy[0]).toMatch(AFTER_RESET);
    expect(result.uncaught).toEqual([]);
  });

  it('6.9.1: a connection WINDOW_UPDATE past 2^31-1 is a connection error (FLOW_CONTROL_ERROR)', async () => {
    const result = await onFirstConnection(badFrames(windowUpdateFrame(0, MAX_WINDOW)));
    expect(result.goaway).toBe(name(ErrorCode.FLOW_CONTROL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });
});

describe('RFC 9113 6.9.2 initial window size', () => {
  it('6.9.2: an INITIAL_WINDOW_SIZE change that takes an open stream window past 2^31-1 is FLOW_CONTROL_ERROR', async () => {
    // The stream window is raised to exactly 2^31-1 (legal), then SETTINGS adds 1 to every stream window:
    // the client checks each window after the delta and ends the connection.
    const result = await onFirstConnection((c, [r]) =>
      badFrames(
        windowUpdateFrame(r!.streamId, MAX_WINDOW - (DEFAULT_WINDOW - bodyLength(r!))),
        settingsFrame([[Setting.INITIAL_WINDOW_SIZE, DEFAULT_WINDOW + 1]]),
      )(c, [r!]),
    );
    expect(result.goaway).toBe(name(ErrorCode.FLOW_CONTROL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.9.2: a lowered INITIAL_WINDOW_SIZE may make a stream window negative; DATA waits for WINDOW_UPDATE', async () => {
    using watch = watchProcess();
    await using server = await startRawH2Server(() => {}, {
      settings: [
        [Setting.MAX_CONCURRENT_STREAMS, 100],
        [Setting.INITIAL_WINDOW_SIZE, 10],
      ],
    });
    await using pool = poolFor(server);
    // A warm-up request: its answer comes after the SETTINGS, so the next request sees a window of 10.
    const warm = track(pool);
    const first = await server.connection(0);
    const [w] = await first.ended(1);
    first.respond(w!.streamId, 200, label(0));
    await warm.outcome();
    const sent = track(pool, apnsRequest({ payload: 'x'.repeat(30) }));
    const [, r] = await first.streams(2);
    await first.waitFor('10 bytes of DATA', () => (bodyLength(r!) === 10 ? true : undefined));
    first.write(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 0]])); // window 0 - 10 = -10
    first.write(windowUpdateFrame(r!.streamId, 15)); // -10 + 15 = 5
    await first.waitFor('15 bytes of DATA', () => (bodyLength(r!) === 15 ? true : undefined));
    first.write(windowUpdateFrame(r!.streamId, 100));
    await first.ended(2);
    expect(bodyLength(r!)).toBe(30);
    first.respond(r!.streamId, 200, label(0));
    expect(answeredBy(await sent.outcome())).toBe(label(0));
    expect(watch.errors).toEqual([]);
  });
});

describe('RFC 9113 6.9 flow control is per stream', () => {
  it('6.9: a stream blocked on its own window does not hold back DATA of other streams', async () => {
    // A new body goes out while others wait on their own windows, and resume() skips a blocked stream
    // instead of stopping at it.
    using watch = watchProcess();
    await using server = await startRawH2Server(() => {}, {
      settings: [
        [Setting.MAX_CONCURRENT_STREAMS, 100],
        [Setting.INITIAL_WINDOW_SIZE, 16],
      ],
    });
    await using pool = poolFor(server);
    const warm = track(pool);
    const first = await server.connection(0);
    const [w] = await first.ended(1);
    first.respond(w!.streamId, 200, label(0));
    await warm.outcome();
    const a = track(pool, apnsRequest({ payload: 'a'.repeat(100) })); // 16 bytes go, then blocked
    const b = track(pool, apnsRequest({ payload: 'b'.repeat(10) })); // fits its own window
    const [, ra, rb] = await first.streams(3);
    const bSentAlone = await first
      .waitFor("stream B's END_STREAM while A is blocked", () => (rb!.ended ? true : undefined), 1_500)
      .then(
        () => true,
        () => false,
      );
    // Then give A its window, so that both settle either way.
    first.write(windowUpdateFrame(ra!.streamId, 1_000));
    await first.ended(3);
    for (const r of [ra!, rb!]) first.respond(r.streamId, 200, label(0));
    expect(bSentAlone).toBe(true);
    expect(answeredBy(await b.outcome())).toBe(label(0));
    expect(answeredBy(await a.outcome())).toBe(label(0));
    expect(watch.errors).toEqual([]);
  });
});
