import { randomBytes } from 'node:crypto';
import { ApnsValidationError } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import {
  bytes,
  ENHANCED,
  FRAMED,
  FRAMED_DEADBEEF,
  PAYLOAD_JSON,
  SIMPLE,
  TOKEN,
} from './__fixtures__/vectors.js';
import { FrameEncoder } from './frame-encoder.js';
import { encodeEnhanced, encodeFrame, encodeSimple } from './single-frame.js';

const payload = Buffer.from(PAYLOAD_JSON);
const tokens = (n: number) => Array.from({ length: n }, () => randomBytes(32).toString('hex'));

/** Runs fn and returns the ApnsValidationError it throws. */
function refusal(fn: () => unknown): ApnsValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApnsValidationError);
    return e as ApnsValidationError;
  }
  throw new Error('expected an ApnsValidationError');
}

describe('single-frame encoders match the hand-written vectors', () => {
  it('command 0', () => {
    const b = encodeSimple({ token: TOKEN, payload });
    expect(b.toString('hex')).toBe(bytes(SIMPLE).toString('hex'));
    expect(b.length).toBe(62);
    expect(b.subarray(0, 6).toString('hex')).toBe('00002000fc13');
    expect(b.subarray(35, 37).toString('hex')).toBe('0019');
  });

  it('command 1', () => {
    const b = encodeEnhanced({ token: TOKEN, payload, identifier: 1, expiry: 0 });
    expect(b.toString('hex')).toBe(bytes(ENHANCED).toString('hex'));
    expect(b.length).toBe(70);
  });

  it('command 2', () => {
    const b = encodeFrame({ token: TOKEN, payload, identifier: 1, expiry: 0, priority: 10 });
    expect(b.toString('hex')).toBe(bytes(FRAMED).toString('hex'));
    expect(b.length).toBe(86);
    expect(b.subarray(0, 8).toString('hex')).toBe('0200000051010020');
  });

  it('command 2 with identifier 0xdeadbeef, expiry 1700000000, priority 5; string payload; uppercase token', () => {
    const b = encodeFrame({
      token: TOKEN.toUpperCase(),
      payload: PAYLOAD_JSON,
      identifier: 0xdeadbeef,
      expiry: 1_700_000_000,
      priority: 5,
    });
    expect(b.toString('hex')).toBe(bytes(FRAMED_DEADBEEF).toString('hex'));
  });

  it('payload length is the UTF-8 byte length', () => {
    const b = encodeFrame({ token: TOKEN, payload: '{"a":"é"}' });
    expect(b.readUInt16BE(41)).toBe(10);
  });
});

describe('validation names the field and writes nothing', () => {
  const cases: [string, () => unknown, string][] = [
    ['token not hex', () => encodeFrame({ token: 'z'.repeat(64), payload }), 'token'],
    ['token 62 digits', () => encodeFrame({ token: TOKEN.slice(2), payload }), 'token'],
    ['token 66 digits', () => encodeFrame({ token: `${TOKEN}00`, payload }), 'token'],
    ['token wide char', () => encodeSimple({ token: `\u0130${TOKEN.slice(1)}`, payload }), 'token'],
    ['payload empty', () => encodeFrame({ token: TOKEN, payload: Buffer.alloc(0) }), 'payload'],
    ['payload 2049', () => encodeFrame({ token: TOKEN, payload: Buffer.alloc(2049, 32) }), 'payload'],
    [
      'payload over 256',
      () => encodeSimple({ token: TOKEN, payload: Buffer.alloc(257, 32) }, { maxPayloadBytes: 256 }),
      'payload',
    ],
    ['expiry negative', () => encodeEnhanced({ token: TOKEN, payload, expiry: -1 }), 'expiry'],
    ['expiry 2^32', () => encodeFrame({ token: TOKEN, payload, expiry: 2 ** 32 }), 'expiry'],
    ['expiry fraction', () => encodeFrame({ token: TOKEN, payload, expiry: 1.5 }), 'expiry'],
    ['identifier 2^32', () => encodeFrame({ token: TOKEN, payload, identifier: 2 ** 32 }), 'identifier'],
    ['identifier NaN', () => encodeEnhanced({ token: TOKEN, payload, identifier: Number.NaN }), 'identifier'],
    ['priority 1', () => encodeFrame({ token: TOKEN, payload, priority: 1 as 10 }), 'priority'],
    ['limit 0', () => encodeFrame({ token: TOKEN, payload }, { maxPayloadBytes: 0 }), 'maxPayloadBytes'],
  ];
  it.each(cases)('%s', (_name, fn, field) => {
    expect(refusal(fn).field).toBe(field);
  });

  it('payload limits are configurable: 4096 for VoIP', () => {
    expect(
      encodeFrame({ token: TOKEN, payload: Buffer.alloc(4096, 32) }, { maxPayloadBytes: 4096 }).length,
    ).toBe(61 + 4096);
  });

  it('FrameEncoder refuses each bad field and commits nothing', () => {
    const enc = new FrameEncoder();
    enc.write(TOKEN, payload);
    const before = Buffer.from(enc.take());
    enc.write(TOKEN, payload);
    const bad: [() => unknown, string][] = [
      [() => enc.write('g'.repeat(64), payload), 'token'],
      [() => enc.write(`${TOKEN.slice(0, 63)}\u0130`, payload), 'token'],
      [() => enc.write(TOKEN.slice(1), payload), 'token'],
      [() => enc.write(TOKEN, Buffer.alloc(2049)), 'payload'],
      [() => enc.write(TOKEN, Buffer.alloc(0)), 'payload'],
      [() => enc.write(TOKEN, 'text' as unknown as Buffer), 'payload'],
      [() => enc.write(TOKEN, payload, -5), 'expiry'],
      [() => enc.write(TOKEN, payload, 0, 7 as 10), 'priority'],
      [() => enc.writeEnhanced(TOKEN, payload, 2 ** 32), 'expiry'],
      [() => enc.writeSimple('x', payload), 'token'],
      [() => enc.writeFanOut([TOKEN, 'nothex'.padEnd(64, '0')], payload), 'tokens[1]'],
      [() => enc.writeFanOut([TOKEN, TOKEN.slice(1)], payload), 'tokens[1]'],
      [() => enc.writeFanOut([TOKEN, `\u0130${TOKEN.slice(1)}`], payload), 'tokens[1]'],
      [() => enc.writeFanOut([TOKEN], payload, 0, 1 as 10), 'priority'],
      [() => enc.writeBatch([TOKEN, TOKEN], [payload, Buffer.alloc(3000)]), 'payloads[1]'],
      [() => enc.writeBatch([TOKEN, 'zz'], [payload, payload]), 'tokens[1]'],
      [() => enc.writeBatch([TOKEN], [payload, payload]), 'payloads'],
      [() => new FrameEncoder({ firstIdentifier: -1 }), 'firstIdentifier'],
      [() => new FrameEncoder({ maxPayloadBytes: 70_000 }), 'maxPayloadBytes'],
    ];
    for (const [fn, field] of bad) {
      expect(refusal(fn).field).toBe(field);
      expect(enc.frameCount).toBe(1);
      expect(enc.nextIdentifier).toBe(3);
    }
    expect(enc.take().equals(encodeFrame({ token: TOKEN, payload, identifier: 2 }))).toBe(true);
    expect(before.equals(bytes(FRAMED))).toBe(true);
  });

  it('a batch that fails on its 1500th token is not half-written', () => {
    const enc = new FrameEncoder({ initialCapacity: 64 });
    const ts = tokens(2000);
    ts[1500] = `${ts[1500]!.slice(0, 40)}xx${ts[1500]!.slice(42)}`;
    expect(refusal(() => enc.writeFanOut(ts, payload)).field).toBe('tokens[1500]');
    expect(
      refusal(() =>
        enc.writeBatch(
          ts,
          ts.map(() => payload),
        ),
      ).field,
    ).toBe('tokens[1500]');
    expect(enc.byteLength).toBe(0);
    expect(enc.frameCount).toBe(0);
    expect(enc.nextIdentifier).toBe(1);
  });
});

describe('FrameEncoder', () => {
  it('batch output equals the concatenation of single-frame encodings (all write paths)', () => {
    const ts = tokens(2500); // crosses the 1024-token hex chunk twice
    const payloads = ts.map((_, i) =>
      Buffer.from(JSON.stringify({ aps: { alert: `n${i}`.repeat(i % 50) } })),
    );
    const enc = new FrameEncoder({ initialCapacity: 16, firstIdentifier: 100 });
    const expectFan = Buffer.concat(
      ts.map((t, i) => encodeFrame({ token: t, payload, identifier: 100 + i })),
    );
    expect(enc.writeFanOut(ts, payload)).toBe(100);
    expect(enc.frameCount).toBe(2500);
    expect(enc.take().equals(expectFan)).toBe(true);

    const first = enc.nextIdentifier;
    const expectBatch = Buffer.concat(
      ts.map((t, i) =>
        encodeFrame({ token: t, payload: payloads[i]!, identifier: first + i, expiry: 77, priority: 5 }),
      ),
    );
    expect(enc.writeBatch(ts, payloads, 77, 5)).toBe(first);
    expect(enc.take().equals(expectBatch)).toBe(true);

    const id0 = enc.nextIdentifier;
    for (let i = 0; i < ts.length; i++) expect(enc.write(ts[i]!, payloads[i]!, 77, 5)).toBe(id0 + i);
    expect(
      enc
        .take()
        .equals(
          Buffer.concat(
            ts.map((t, i) =>
              encodeFrame({ token: t, payload: payloads[i]!, identifier: id0 + i, expiry: 77, priority: 5 }),
            ),
          ),
        ),
    ).toBe(true);
  });

  it('writes commands 0 and 1 too', () => {
    const enc = new FrameEncoder();
    enc.writeSimple(TOKEN, payload);
    expect(enc.writeEnhanced(TOKEN, payload, 0)).toBe(1);
    expect(enc.write(TOKEN, payload)).toBe(2);
    expect(enc.take().toString('hex')).toBe(
      Buffer.concat([
        bytes(SIMPLE),
        bytes(ENHANCED),
        encodeFrame({ token: TOKEN, payload, identifier: 2 }),
      ]).toString('hex'),
    );
  });

  it('identifiers wrap at 2^32', () => {
    const enc = new FrameEncoder({ firstIdentifier: 2 ** 32 - 2 });
    expect(enc.write(TOKEN, payload)).toBe(2 ** 32 - 2);
    expect(enc.write(TOKEN, payload)).toBe(2 ** 32 - 1);
    expect(enc.write(TOKEN, payload)).toBe(0);
    const out = enc.take();
    expect(out.readUInt32BE(86 * 0 + 46 + 25)).toBe(0xfffffffe);
    expect(out.readUInt32BE(86 * 1 + 46 + 25)).toBe(0xffffffff);
    expect(out.readUInt32BE(86 * 2 + 46 + 25)).toBe(0);

    enc.nextIdentifier = 2 ** 32 - 1;
    expect(enc.writeFanOut([TOKEN, TOKEN, TOKEN], payload)).toBe(2 ** 32 - 1);
    expect(enc.nextIdentifier).toBe(2);
    const fan = enc.take();
    expect([0, 1, 2].map((i) => fan.readUInt32BE(86 * i + 71))).toEqual([0xffffffff, 0, 1]);
    enc.nextIdentifier = 2 ** 32 - 1;
    enc.writeBatch([TOKEN, TOKEN], [payload, payload]);
    const batch = enc.take();
    expect([0, 1].map((i) => batch.readUInt32BE(86 * i + 71))).toEqual([0xffffffff, 0]);
  });

  it('reuses one buffer: take() is a view that the next write overwrites; detach() hands it over', () => {
    const enc = new FrameEncoder({ initialCapacity: 1024 });
    enc.write(TOKEN, payload);
    const first = enc.take();
    const copy = Buffer.from(first);
    enc.write('ff'.repeat(32), payload);
    expect(first.equals(copy)).toBe(false); // overwritten in place: no allocation per batch
    expect(enc.take().buffer).toBe(first.buffer);
    enc.write(TOKEN, payload);
    const kept = enc.detach();
    enc.write('ff'.repeat(32), payload);
    expect(kept.subarray(8, 40).toString('hex')).toBe(TOKEN);
    expect(enc.capacity).toBe(1024);
  });

  it('grows geometrically only when needed, keeping pending frames', () => {
    const enc = new FrameEncoder({ initialCapacity: 100 });
    enc.write(TOKEN, payload);
    enc.write(TOKEN, payload);
    expect(enc.capacity).toBe(200);
    enc.writeFanOut(tokens(10), payload);
    expect(enc.capacity).toBe(1600);
    const out = enc.take();
    expect(out.length).toBe(86 * 12);
    expect(out.subarray(0, 86).equals(bytes(FRAMED))).toBe(true);
  });

  it('an empty fan-out writes nothing', () => {
    const enc = new FrameEncoder();
    expect(enc.writeFanOut([], payload)).toBe(1);
    expect(enc.writeBatch([], [])).toBe(1);
    expect(enc.byteLength).toBe(0);
  });
});
