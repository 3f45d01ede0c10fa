/**
 * RFC 9113 8.1.1 and 8.3 (malformed messages, pseudo-header fields): a response whose `:status` is not a
 * three-digit integer, whose pseudo-header follows a regular field, that repeats `:status` or carries a request
 * pseudo-header is malformed: a stream error of type PROTOCOL_ERROR (or, as 5.4.1 allows, a connection error),
 * never an answer. (The first of these turned up in the frame fuzz as a verdict with status NaN.)
 */
import { ErrorCode } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { onFirstConnection } from './__fixtures__/first-connection.js';
import {
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  hpackString,
  responseBlock,
} from './__fixtures__/frames.js';
import { label } from './__fixtures__/raw-h2-server.js';

const PROTOCOL = errorName(ErrorCode.PROTOCOL_ERROR);
/** `:status` as a literal without indexing, its name from the static table (index 8), any value. */
const status = (value: string) => Buffer.concat([Buffer.from([0x08]), hpackString(value)]);
const apnsId = Buffer.concat([Buffer.from([0x00]), hpackString('apns-id'), hpackString(label(0))]);
/** `:path /` (static index 4) in a response. */
const PATH = Buffer.from([0x84]);
const STATUS_200 = Buffer.from([0x88]);

describe('RFC 9113 8.1.1, 8.3 malformed responses', () => {
  it.fails.each([
    ['8.3.2: a :status that is not a number ("2x0")', [status('2x0'), apnsId]],
    ['8.3.2: a :status of two digits ("20")', [status('20'), apnsId]],
    ['8.3: a pseudo-header after a regular field', [apnsId, STATUS_200]],
    ['8.3: :status twice', [STATUS_200, status('404'), apnsId]],
    ['8.3: a request pseudo-header (:path) in a response', [STATUS_200, PATH, apnsId]],
  ])('%s is malformed: a stream error (PROTOCOL_ERROR), not an answer', async (_, fields) => {
    // Today: the sink takes :status with Number() (NaN, 20) and ignores order, repeats and other pseudo-headers,
    // so each of these resolves the send as a verdict from connection 0.
    const result = await onFirstConnection((c, [r]) =>
      c.write(headersFrame(r!.streamId, Buffer.concat(fields), END_HEADERS_AND_STREAM)),
    );
    expect(result.answeredBy[0]).toMatch(/^(failed: (STREAM_RESET|PROTOCOL)|conn-1)$/);
    const refused = result.resets.includes(`1 ${PROTOCOL}`) || result.goaway === PROTOCOL;
    expect(refused, `RST_STREAM ${result.resets}; ${result.goaway}`).toBe(true);
    expect(result.uncaught).toEqual([]);
  });

  it('8.1: an informational (1xx) response is followed by the final one', async () => {
    const result = await onFirstConnection((c, [r]) =>
      c.write(
        headersFrame(r!.streamId, status('103')),
        headersFrame(r!.streamId, responseBlock(200, [['apns-id', label(0)]]), END_HEADERS_AND_STREAM),
      ),
    );
    expect(result.answeredBy).toEqual([label(0)]);
    expect(result.goaway).toBe('no GOAWAY');
  });
});
