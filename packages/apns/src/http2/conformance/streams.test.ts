/**
 * RFC 9113 5.1 (stream states), 5.1.1 (stream identifiers), 6.4 (RST_STREAM), 8.4 (server push, which the
 * client disables). The client opens odd streams only and never enables push, so a frame on a stream it has not
 * opened yet (idle) or on an even stream is a connection error; frames that may legitimately trail a closed
 * stream are ignored.
 */
import { ErrorCode, Flag, FrameType, frame } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import {
  dataFrame,
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  rawFrame,
  responseBlock,
  rstStreamFrame,
  windowUpdateFrame,
} from './__fixtures__/frames.js';
import { label } from './__fixtures__/raw-h2-server.js';

const name = errorName;
const answer = (streamId: number) =>
  headersFrame(streamId, responseBlock(200, [['apns-id', label(0)]]), END_HEADERS_AND_STREAM);
/** Stream 1 is open (the request); stream 5 is idle (the client opened 1 only); 2 is server-initiated. */
const IDLE = 5;
const EVEN = 2;

describe('RFC 9113 5.1 frames on streams the client did not open', () => {
  // A frame for a stream the client does not track is a connection error when the stream is idle: an id the
  // client has not used yet, or an even one (ClientStreams.untracked).
  it.each([
    ['5.1: HEADERS on an idle stream', answer(IDLE)],
    ['5.1.1: HEADERS on an even (server-initiated) stream', answer(EVEN)],
    ['5.1, 6.4: RST_STREAM on an idle stream', rstStreamFrame(IDLE)],
    ['5.1, 6.4: RST_STREAM on an even stream', rstStreamFrame(EVEN)],
    ['5.1: DATA on an idle stream', dataFrame(IDLE, Buffer.from('{}'))],
    ['5.1: WINDOW_UPDATE on an idle stream', windowUpdateFrame(IDLE, 100)],
  ])('%s is a connection error (PROTOCOL_ERROR)', async (_, bad) => {
    const result = await onFirstConnection(badFrames(bad));
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it.each([
    [
      '8.4: PUSH_PROMISE (push is disabled)',
      frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.from([0, 0, 0, 2, 0x88])),
    ],
    ['6.1: DATA on stream 0', dataFrame(0, Buffer.from('{}'))],
    ['6.2: HEADERS on stream 0', answer(0)],
    ['6.4: RST_STREAM on stream 0', rstStreamFrame(0)],
  ])('%s is a connection error (PROTOCOL_ERROR)', async (_, bad) => {
    const result = await onFirstConnection(badFrames(bad));
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });
});

describe('RFC 9113 6.4 RST_STREAM', () => {
  it('6.4: RST_STREAM with a length other than 4 is FRAME_SIZE_ERROR', async () => {
    // The length is checked apart from the stream id: FRAME_SIZE_ERROR (was PROTOCOL_ERROR).
    const result = await onFirstConnection((c, [r]) =>
      badFrames(rawFrame(FrameType.RST_STREAM, 0, r!.streamId, Buffer.alloc(5)))(c, []),
    );
    expect(result.goaway).toBe(name(ErrorCode.FRAME_SIZE_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('8.7: RST_STREAM REFUSED_STREAM: the request was not processed and goes out again', async () => {
    const result = await onFirstConnection((c, [r]) => {
      c.onRequest = (again) => c.respond(again.streamId, 200, label(c)); // answers the re-send, stream 3
      c.write(rstStreamFrame(r!.streamId, ErrorCode.REFUSED_STREAM));
    });
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
  });

  it('6.4: RST_STREAM with another code fails the request with STREAM_RESET', async () => {
    const result = await onFirstConnection((c, [r]) =>
      c.write(rstStreamFrame(r!.streamId, ErrorCode.INTERNAL_ERROR)),
    );
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual(['failed: STREAM_RESET']);
  });
});

describe('RFC 9113 5.1 frames after a stream closed', () => {
  it('6.9: WINDOW_UPDATE and RST_STREAM on a stream whose answer came are ignored', async () => {
    const result = await onFirstConnection(
      async (c, [a, b]) => {
        c.write(answer(a!.streamId));
        c.write(windowUpdateFrame(a!.streamId, 100), rstStreamFrame(a!.streamId, ErrorCode.STREAM_CLOSED));
        await c.sync();
        c.write(answer(b!.streamId));
      },
      { requests: 2 },
    );
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0), label(0)]);
    expect(result.uncaught).toEqual([]);
  });
});
