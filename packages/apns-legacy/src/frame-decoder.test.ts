import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { byteByByte, randomSplit } from './__fixtures__/splits.js';
import {
  bytes,
  ENHANCED,
  FAULTS,
  FRAMED,
  FRAMED_DEADBEEF,
  FRAMED_MINIMAL,
  FRAMED_SHUFFLED,
  PAYLOAD_JSON,
  SIMPLE,
  TOKEN,
} from './__fixtures__/vectors.js';
import { FrameDecoder, type FrameDecoderEvent } from './frame-decoder.js';
import { FrameEncoder } from './frame-encoder.js';

const feed = (d: FrameDecoder, chunks: Uint8Array[]): FrameDecoderEvent[] => chunks.flatMap((c) => d.push(c));
const hello = { token: TOKEN, payload: Buffer.from(PAYLOAD_JSON) };

describe('FrameDecoder (server side)', () => {
  it('decodes commands 0, 1 and 2 from the doc vectors, one byte at a time', () => {
    const stream = bytes(SIMPLE + ENHANCED + FRAMED + FRAMED_DEADBEEF + FRAMED_SHUFFLED + FRAMED_MINIMAL);
    const d = new FrameDecoder();
    const got = feed(d, byteByByte(stream));
    expect(got).toEqual([
      {
        kind: 'notification',
        command: 0,
        identifier: 0,
        identifierBytes: Buffer.alloc(4),
        expiry: 0,
        priority: 10,
        ...hello,
      },
      {
        kind: 'notification',
        command: 1,
        identifier: 1,
        identifierBytes: bytes('00000001'),
        expiry: 0,
        priority: 10,
        ...hello,
      },
      {
        kind: 'notification',
        command: 2,
        identifier: 1,
        identifierBytes: bytes('00000001'),
        expiry: 0,
        priority: 10,
        ...hello,
      },
      {
        kind: 'notification',
        command: 2,
        identifier: 0xdeadbeef,
        identifierBytes: bytes('deadbeef'),
        expiry: 1_700_000_000,
        priority: 5,
        ...hello,
      },
      {
        kind: 'notification',
        command: 2,
        identifier: 1,
        identifierBytes: bytes('00000001'),
        expiry: 0,
        priority: 10,
        ...hello,
      },
      {
        kind: 'notification',
        command: 2,
        identifier: 0,
        identifierBytes: Buffer.alloc(4),
        expiry: 0,
        priority: 10,
        ...hello,
      },
    ]);
    expect(d.pendingBytes).toBe(0);
  });

  it('decodes what FrameEncoder writes, in random splits', () => {
    const enc = new FrameEncoder({ firstIdentifier: 2 ** 32 - 50 });
    const tokens = Array.from({ length: 200 }, () => randomBytes(32).toString('hex'));
    const payloads = tokens.map((_, i) => Buffer.from(JSON.stringify({ aps: { alert: 'x'.repeat(i * 9) } })));
    enc.writeBatch(tokens, payloads, 123, 5);
    const stream = Buffer.from(enc.take());
    for (let seed = 1; seed <= 10; seed++) {
      const got = feed(new FrameDecoder(), randomSplit(stream, seed, 300));
      expect(got.length).toBe(200);
      got.forEach((n, i) => {
        expect(n).toMatchObject({
          kind: 'notification',
          command: 2,
          token: tokens[i],
          expiry: 123,
          priority: 5,
        });
        if (n.kind === 'notification') {
          expect(n.payload.equals(payloads[i]!)).toBe(true);
          expect(n.identifier).toBe((2 ** 32 - 50 + i) >>> 0);
        }
      });
    }
  });

  it('payloads are copies: reusing the socket chunk does not change them', () => {
    const chunk = Buffer.from(bytes(FRAMED));
    const [n] = new FrameDecoder().push(chunk);
    chunk.fill(0);
    expect(n?.kind === 'notification' && n.payload.toString()).toBe(PAYLOAD_JSON);
  });

  const faults = Object.entries(FAULTS);
  it.each(faults)('fault %s -> status and identifier, byte by byte and in random splits', (_name, f) => {
    const stream = Buffer.concat([bytes(FRAMED), bytes(f.hex), bytes(FRAMED)]);
    for (const chunks of [byteByByte(stream), randomSplit(stream, 7), [stream]]) {
      const d = new FrameDecoder();
      const got = feed(d, chunks);
      expect(got.length).toBe(2); // the good frame, then the fault; nothing after it
      expect(got[1]).toMatchObject({ kind: 'error', status: f.status, identifier: f.identifier });
      expect(d.failed).toBe(true);
      expect(d.push(bytes(FRAMED))).toEqual([]);
    }
  });

  it('payload over the limit is status 7 (limit configurable), in every command', () => {
    for (const hex of [SIMPLE, ENHANCED, FRAMED]) {
      const [e] = new FrameDecoder({ maxPayloadBytes: 24 }).push(bytes(hex));
      expect(e).toMatchObject({ kind: 'error', status: 7 });
    }
    const enc = new FrameEncoder({ maxPayloadBytes: 4096 });
    enc.write(TOKEN, Buffer.alloc(3000, 0x20));
    const big = enc.take();
    expect(new FrameDecoder().push(big)[0]).toMatchObject({ status: 7, identifier: 1 });
    expect(new FrameDecoder({ maxPayloadBytes: 4096 }).push(big)[0]).toMatchObject({ kind: 'notification' });
  });

  it('an absurd frame length is judged from item headers, without waiting for the bytes', () => {
    const d = new FrameDecoder();
    // L = 0x7fffffff, identifier item, then a 2-byte payload length of 0x1000 (over 2048).
    const got = feed(d, byteByByte(bytes('02 7fffffff 03 0004 00000063 02 1000')));
    expect(got).toEqual([expect.objectContaining({ kind: 'error', status: 7, identifier: 99 })]);
    expect(new FrameDecoder().push(bytes('02 7fffffff 01 0020'))).toEqual([]); // still plausible so far
  });

  it('zero-length payloads are status 4 (missing payload)', () => {
    expect(new FrameDecoder().push(bytes('00 0020 ' + TOKEN + ' 0000'))[0]).toMatchObject({ status: 4 });
    expect(new FrameDecoder().push(bytes('02 00000026 01 0020 ' + TOKEN + ' 02 0000'))[0]).toMatchObject({
      status: 4,
    });
  });
});
