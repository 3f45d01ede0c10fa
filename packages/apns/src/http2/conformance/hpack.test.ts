/**
 * RFC 7541 (HPACK) both ways. Decoding the server's blocks: a dynamic table size update above the client's
 * SETTINGS_HEADER_TABLE_SIZE, or anywhere but the start of a block, an index past the table and bad Huffman
 * padding are COMPRESSION_ERROR (RFC 9113 4.3), and blocks are decoded even for streams the client forgot.
 * Encoding the client's blocks: after the server changes SETTINGS_HEADER_TABLE_SIZE, the next block opens with
 * the size update(s) RFC 7541 4.2 asks for.
 */
import { ErrorCode, Flag, FrameType, Setting } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { answeredBy, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import {
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  hpackString,
  settingsFrame,
} from './__fixtures__/frames.js';
import { label, type RawConnection, startRawH2Server } from './__fixtures__/raw-h2-server.js';

const name = errorName;
const STATUS_200 = 0x88;
/** Dynamic table size update to 4,096 and to 4,097 (5-bit prefix integers, RFC 7541 5.1). */
const SIZE_4096 = [0x3f, 0xe1, 0x1f];
const SIZE_4097 = [0x3f, 0xe2, 0x1f];

const response = (streamId: number, block: number[] | Buffer) =>
  headersFrame(streamId, Buffer.from(block), END_HEADERS_AND_STREAM);

describe('RFC 7541: decoding the server’s header blocks', () => {
  it.each([
    ['4.2: a dynamic table size update above SETTINGS_HEADER_TABLE_SIZE (4,096)', [...SIZE_4097, STATUS_200]],
    ['4.2: a dynamic table size update after a header field', [STATUS_200, 0x20]],
    ['2.3.3: an index past the end of the dynamic table', [STATUS_200, 0xbe]],
    // A Huffman string of one byte: '0' (00000) then padding 000, which is not a prefix of EOS (all ones).
    ['5.2: Huffman padding that is not the EOS prefix', [STATUS_200, 0x00, 0x01, 0x78, 0x81, 0x00]],
  ])('%s is COMPRESSION_ERROR', async (_, block) => {
    const result = await onFirstConnection((c, [r]) => badFrames(response(r!.streamId, block))(c, []));
    expect(result.goaway).toBe(name(ErrorCode.COMPRESSION_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('9113 4.3: a block for a stream the client reset is still decoded (the table stays in step)', async () => {
    using watch = watchProcess();
    await using server = await startRawH2Server(() => {});
    // Long enough for the next request to be answered on a loaded machine; the first one waits it out.
    await using pool = poolFor(server, { requestTimeoutMs: 1_500 });
    const late = track(pool);
    const first = await server.connection(0);
    const [r1] = await first.ended(1);
    await late.outcome(); // TIMEOUT: the client reset stream 1 (CANCEL)
    await first.waitFor(
      'RST_STREAM',
      () => first.frames.some((f) => f.type === FrameType.RST_STREAM) || undefined,
    );
    // The late answer inserts `apns-id: conn-0` into the client's table (literal with incremental indexing)...
    first.write(
      response(
        r1!.streamId,
        Buffer.concat([Buffer.from([STATUS_200, 0x40]), hpackString('apns-id'), hpackString(label(0))]),
      ),
    );
    await first.sync();
    const next = track(pool);
    const [, r2] = await first.ended(2);
    // ...and the next answer refers to it by index 62 (the newest dynamic entry).
    first.write(response(r2!.streamId, [STATUS_200, 0xbe]));
    expect(answeredBy(await next.outcome())).toBe(label(0));
    expect(watch.errors).toEqual([]);
  });
});

describe('RFC 7541: the client’s header blocks after a table size change', () => {
  /** Connection 0 answers one request, applies `settings` (waiting for their ACKs), then takes a second one. */
  async function blockAfter(settings: Buffer[]) {
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      c.onRequest = (r) => c.respond(r.streamId, 200, label(c));
    });
    await using pool = poolFor(server);
    const warm = track(pool);
    const first = await server.connection(0);
    await warm.outcome();
    await first.sync(); // the ACK of the first SETTINGS is in
    const acks = (c: RawConnection) =>
      c.frames.filter((f) => f.type === FrameType.SETTINGS && f.flags & Flag.ACK).length;
    const before = acks(first);
    first.write(...settings);
    await first.waitFor('SETTINGS ACKs', () => (acks(first) >= before + settings.length ? true : undefined));
    const sent = track(pool);
    const [r1, r2] = await first.ended(2);
    expect(answeredBy(await sent.outcome())).toBe(label(0));
    expect(watch.errors).toEqual([]);
    return {
      first: [...r1!.block.subarray(0, 4)],
      second: [...r2!.block.subarray(0, 4)],
      fields: r2!.fields,
    };
  }

  it('4.2: a lowered SETTINGS_HEADER_TABLE_SIZE is signalled at the start of the next block', async () => {
    const { first, second, fields } = await blockAfter([settingsFrame([[Setting.HEADER_TABLE_SIZE, 0]])]);
    expect(first[0]).toBe(0x83); // :method POST, no size update in the first block
    expect(second[0]).toBe(0x20); // size update to 0
    expect(Object.fromEntries(fields)).toMatchObject({ ':method': 'POST', 'apns-topic': 'com.example.app' });
  });

  it('4.2: a table size lowered then raised between two blocks is signalled as the smallest, then the final', async () => {
    // The encoder keeps the smallest size since its last update and signals it before the final one.
    const { second } = await blockAfter([
      settingsFrame([[Setting.HEADER_TABLE_SIZE, 0]]),
      settingsFrame([[Setting.HEADER_TABLE_SIZE, 4_096]]),
    ]);
    expect(second).toEqual([0x20, ...SIZE_4096]);
  });
});
