/**
 * RFC 9113 6.8 (GOAWAY): streams at or below last-stream-id may still be answered on the connection; streams
 * above it were not processed and go out again on another connection. Those re-sends are safe by definition,
 * so they must not use up the pool's re-send limit (MAX_UNPROCESSED_RESENDS, meant for answers that were lost),
 * just as REFUSED_STREAM does not. Debug data is free text (APNs sends JSON with a reason).
 */
import { ErrorCode, FrameType, frame, goawayPayload } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { MAX_UNPROCESSED_RESENDS } from '../../index.js';
import { answeredBy, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import {
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  rawFrame,
  responseBlock,
} from './__fixtures__/frames.js';
import { label, serveOk, startRawH2Server } from './__fixtures__/raw-h2-server.js';

const name = errorName;
const goaway = (lastStreamId: number, code: number, debug: string | Buffer = '') => {
  const payload = goawayPayload(lastStreamId, code);
  return frame(FrameType.GOAWAY, 0, 0, Buffer.concat([payload, Buffer.from(debug)]));
};
const answer = (streamId: number) =>
  headersFrame(streamId, responseBlock(200, [['apns-id', label(0)]]), END_HEADERS_AND_STREAM);
/** Our own GOAWAY when connection 0 drains after the server's: none yet, or NO_ERROR. */
const GRACEFUL = ['no GOAWAY', name(ErrorCode.NO_ERROR)];

describe('RFC 9113 6.8 GOAWAY', () => {
  it('6.8: NO_ERROR with JSON debug data: stream 1 (≤ last) is still answered, stream 3 goes to a new connection', async () => {
    const result = await onFirstConnection(
      (c, [a]) => c.write(goaway(1, ErrorCode.NO_ERROR, '{"reason":"Shutdown"}'), answer(a!.streamId)),
      { requests: 2 },
    );
    expect(result.answeredBy).toEqual([label(0), label(1)]);
    expect(result.goaway).toBeOneOf(GRACEFUL);
    expect(result.uncaught).toEqual([]);
  });

  it('6.8: NO_ERROR covering every stream, without debug data: both answered on the draining connection', async () => {
    const result = await onFirstConnection(
      (c, [a, b]) => c.write(goaway(3, ErrorCode.NO_ERROR), answer(a!.streamId), answer(b!.streamId)),
      { requests: 2 },
    );
    expect(result.answeredBy).toEqual([label(0), label(0)]);
    expect(result.goaway).toBeOneOf(GRACEFUL);
  });

  it('6.8: an error code without debug data ends the connection; every open stream goes out again', async () => {
    const result = await onFirstConnection((c) => c.write(goaway(1, ErrorCode.INTERNAL_ERROR)), {
      requests: 2,
    });
    expect(result.answeredBy).toEqual([label(1), label(1)]);
    expect(result.copies).toEqual([2, 2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.8: debug data that is not JSON, nor UTF-8, is only debug data', async () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]);
    const result = await onFirstConnection((c, [a]) =>
      c.write(goaway(1, ErrorCode.ENHANCE_YOUR_CALM, binary), answer(a!.streamId)),
    );
    expect(result.answeredBy[0]).toMatch(/^conn-[01]$/);
    expect(result.uncaught).toEqual([]);
  });

  it('6.8: streams above last-stream-id are re-sent on a new connection', async () => {
    const result = await onFirstConnection((c) => c.write(goaway(0, ErrorCode.NO_ERROR)));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
  });

  it(`6.8: re-sends of streams above last-stream-id do not count toward the re-send limit (${MAX_UNPROCESSED_RESENDS})`, async () => {
    // Connections 0 to 3 each take the request and answer GOAWAY(last-stream-id 0): four times unprocessed.
    // onNotProcessed re-sends without counting (like REFUSED_STREAM), so the fifth connection answers.
    using watch = watchProcess();
    const bounces = MAX_UNPROCESSED_RESENDS + 1;
    await using server = await startRawH2Server((c) => {
      if (c.index < bounces) c.onRequest = () => c.write(goaway(0, ErrorCode.NO_ERROR));
      else serveOk(c);
    });
    await using pool = poolFor(server, { requestTimeoutMs: 5_000 });
    const sent = track(pool);
    expect(answeredBy(await sent.outcome(5_000))).toBe(label(bounces));
    expect(server.connections.slice(0, bounces).every((c) => c.requests.size === 1)).toBe(true);
    expect(watch.errors).toEqual([]);
  });

  it('6.8: GOAWAY on a stream is PROTOCOL_ERROR', async () => {
    const result = await onFirstConnection(badFrames(rawFrame(FrameType.GOAWAY, 0, 1, goawayPayload(0, 0))));
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
  });

  it('4.2: a GOAWAY too short for its fields (7 bytes) is FRAME_SIZE_ERROR', async () => {
    // The length is checked apart from the stream id: FRAME_SIZE_ERROR (was PROTOCOL_ERROR, "bad GOAWAY").
    const result = await onFirstConnection(badFrames(rawFrame(FrameType.GOAWAY, 0, 0, Buffer.alloc(7))));
    expect(result.goaway).toBe(name(ErrorCode.FRAME_SIZE_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
  });
});
