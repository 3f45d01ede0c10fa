/**
 * RFC 9113 6.1 and 6.2: padded DATA and HEADERS. The Pad Length byte is part of the payload, so a PADDED frame
 * of length 0 has no room for it, and padding as long as the payload leaves no room for itself. Both are
 * connection errors; the open request goes out again on a new connection.
 *
 * Every bad frame is written last in its socket write, so a reader that looks past the frame for the Pad Length
 * byte finds nothing there (a following frame's first byte, 0 for any small frame, would hide the bug).
 */
import { ErrorCode, Flag, FrameType } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { onFirstConnection } from './__fixtures__/first-connection.js';
import {
  dataFrame,
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  rawFrame,
  responseBlock,
} from './__fixtures__/frames.js';
import { label } from './__fixtures__/raw-h2-server.js';

const FRAMING_ERRORS = [errorName(ErrorCode.PROTOCOL_ERROR), errorName(ErrorCode.FRAME_SIZE_ERROR)];
const EMPTY = Buffer.alloc(0);

/** Response HEADERS from connection 0 (apns-id conn-0), without END_STREAM unless `flags` says so. */
const response = (streamId: number, status: number, flags: number = Flag.END_HEADERS) =>
  headersFrame(streamId, responseBlock(status, [['apns-id', label(0)]]), flags);

describe('RFC 9113 6.1 DATA padding', () => {
  it('6.1: a zero-length PADDED DATA frame (no Pad Length byte) is a connection error', async () => {
    // Was a bug (the Pad Length read past the frame). Now the frame reader reads no Pad Length from an empty
    // payload: the data would start after its end, a PROTOCOL_ERROR (RFC 9113 §6.1).
    const result = await onFirstConnection((c, [r]) =>
      c.write(
        response(r!.streamId, 400),
        rawFrame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, r!.streamId, EMPTY),
      ),
    );
    expect(result.goaway).toBeOneOf(FRAMING_ERRORS);
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.1: padding as long as the payload (Pad Length = frame length) is PROTOCOL_ERROR', async () => {
    const padded = Buffer.from([5, 0, 0, 0, 0]); // Pad Length 5 in a 5-byte payload
    const result = await onFirstConnection((c, [r]) =>
      c.write(response(r!.streamId, 400), dataFrame(r!.streamId, padded, Flag.PADDED | Flag.END_STREAM)),
    );
    expect(result.goaway).toBe(errorName(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.1: padding that fills all but the Pad Length byte is valid (an empty body)', async () => {
    const padded = Buffer.from([4, 0, 0, 0, 0]);
    const result = await onFirstConnection((c, [r]) =>
      c.write(response(r!.streamId, 400), dataFrame(r!.streamId, padded, Flag.PADDED | Flag.END_STREAM)),
    );
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
    expect(result.uncaught).toEqual([]);
  });
});

describe('RFC 9113 6.2 HEADERS padding', () => {
  it('6.2: a zero-length PADDED HEADERS frame as the response is a connection error', async () => {
    // The frame reader finds no room for the Pad Length (RFC 9113 §6.2) before any decoding.
    const result = await onFirstConnection((c, [r]) =>
      c.write(rawFrame(FrameType.HEADERS, Flag.PADDED | END_HEADERS_AND_STREAM, r!.streamId, EMPTY)),
    );
    expect(result.goaway).toBeOneOf(FRAMING_ERRORS);
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.2: a zero-length PADDED HEADERS frame as trailers is a connection error', async () => {
    // Was a bug (the trailers "decoded" over [start + 1, NaN)). Now the frame reader finds no room for the Pad
    // Length and ends the connection before END_STREAM could deliver the 200 (RFC 9113 §6.2).
    const result = await onFirstConnection((c, [r]) =>
      c.write(
        response(r!.streamId, 200),
        rawFrame(FrameType.HEADERS, Flag.PADDED | END_HEADERS_AND_STREAM, r!.streamId, EMPTY),
      ),
    );
    expect(result.goaway).toBeOneOf(FRAMING_ERRORS);
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.2: padding as long as the payload is PROTOCOL_ERROR', async () => {
    const block = responseBlock(200);
    const payload = Buffer.concat([Buffer.from([block.length + 1]), block]);
    const result = await onFirstConnection((c, [r]) =>
      c.write(headersFrame(r!.streamId, payload, Flag.PADDED | END_HEADERS_AND_STREAM)),
    );
    expect(result.goaway).toBe(errorName(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.2: with PADDED and PRIORITY the block lies between the priority fields and the padding', async () => {
    const block = responseBlock(200, [['apns-id', label(0)]]);
    // Pad Length 2, 5 bytes of priority (stream dependency 0, weight 16), the block, 2 bytes of padding.
    const payload = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 15]), block, Buffer.alloc(2)]);
    const result = await onFirstConnection((c, [r]) =>
      c.write(headersFrame(r!.streamId, payload, Flag.PADDED | Flag.PRIORITY | END_HEADERS_AND_STREAM)),
    );
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
    expect(result.uncaught).toEqual([]);
  });
});
