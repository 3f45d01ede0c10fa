import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameSink } from './frame-reader.js';

/** A frame from hand-written fields (RFC 9113 §4.1), not from our builders. */
function raw(type: number, flags: number, streamId: number, payload: number[] | Buffer = []): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(9);
  head.writeUIntBE(body.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, body]);
}

function recorder() {
  const seen: string[] = [];
  const sink: FrameSink = {
    onData: (id, flags, flowLength, buf, start, end) =>
      seen.push(`DATA ${id} f${flags} flow${flowLength} ${buf.toString('latin1', start, end)}`),
    onHeaderBlock: (id, flags, buf, start, end) =>
      seen.push(`BLOCK ${id} f${flags} ${buf.toString('latin1', start, end)}`),
    onFrame: (type, flags, id, _buf, start, end) =>
      seen.push(`FRAME ${type} ${id} f${flags} len${end - start}`),
    onFramingError: (code, message) => seen.push(`ERROR ${code} ${message}`),
  };
  return { seen, reader: new FrameReader(sink) };
}

describe('FrameReader', () => {
  it('carries a frame split anywhere across reads, header included', () => {
    const { seen, reader } = recorder();
    const bytes = Buffer.concat([raw(0x6, 0, 0, Buffer.alloc(8)), raw(0x0, 0x1, 1, Buffer.from('hello'))]);
    for (const cut of [1, 5, 9, 12, 17, 20]) {
      seen.length = 0;
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      expect(seen).toEqual(['FRAME 6 0 f0 len8', 'DATA 1 f1 flow5 hello']);
    }
  });

  it('strips padding and priority fields, and joins CONTINUATION into one block', () => {
    const { seen, reader } = recorder();
    // HEADERS, PADDED | PRIORITY (0x28), pad length 2, 5 priority bytes, "ab", padding; no END_HEADERS.
    const headers = raw(0x1, 0x28 | 0x1, 3, [2, 0, 0, 0, 0, 16, 0x61, 0x62, 0, 0]);
    const continuation = raw(0x9, 0x4, 3, [0x63]);
    const padded = raw(0x0, 0x8 | 0x1, 3, [3, 0x78, 0, 0, 0]);
    reader.push(Buffer.concat([headers, continuation, padded]));
    expect(seen).toEqual(['BLOCK 3 f41 abc', 'DATA 3 f9 flow5 x']);
  });

  it('stops at a framing error: nothing after it in the same read, nor in later reads', () => {
    const { seen, reader } = recorder();
    const headers = raw(0x1, 0x0, 1, [0x61]);
    const ping = raw(0x6, 0, 0, Buffer.alloc(8));
    reader.push(Buffer.concat([headers, ping, raw(0x9, 0x4, 1, [0x62])]));
    reader.push(ping);
    expect(seen).toEqual(['ERROR 1 expected CONTINUATION']);
  });

  it('stop() from the sink ends reading at once, even mid-read', () => {
    const seen: string[] = [];
    const ping = raw(0x6, 0, 0, Buffer.alloc(8));
    const reader: FrameReader = new FrameReader({
      onData: () => {},
      onHeaderBlock: () => {},
      onFrame: () => {
        seen.push('frame');
        reader.stop();
      },
      onFramingError: () => {},
    });
    reader.push(Buffer.concat([ping, ping, ping]));
    reader.push(ping);
    expect(seen).toEqual(['frame']);
  });

  it('refuses padding as long as the payload, an empty PADDED frame, and frames over 16,384 bytes', () => {
    for (const [bytes, message] of [
      [raw(0x0, 0x8, 1, [1]), 'ERROR 1 DATA padding longer than the frame'],
      [raw(0x0, 0x8, 1, []), 'ERROR 1 DATA padding longer than the frame'],
      [raw(0x1, 0x8 | 0x4, 1, []), 'ERROR 1 HEADERS padding longer than the frame'],
      [raw(0x0, 0, 1, Buffer.alloc(16_385)), 'ERROR 6 frame of 16385 bytes > our MAX_FRAME_SIZE'],
      [raw(0x9, 0x4, 1, [0x61]), 'ERROR 1 unexpected CONTINUATION'],
      [raw(0x0, 0, 0, [0x61]), 'ERROR 1 DATA on stream 0'],
    ] as const) {
      const { seen, reader } = recorder();
      reader.push(bytes);
      expect(seen).toEqual([message]);
    }
  });
});
