import { ApnsValidationError, TransportError } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import { byteByByte, randomSplit } from './__fixtures__/splits.js';
import { bytes, FEEDBACK_TUPLE, FEEDBACK_TUPLE_2, TOKEN } from './__fixtures__/vectors.js';
import { encodeFeedbackTuple, encodeFeedbackTuples, FeedbackDecoder } from './feedback-tuple.js';

const second = {
  timestamp: 1_600_000_000,
  token: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
};

describe('feedback tuples', () => {
  it('encodes the doc vector: 38 bytes starting 65 53 f1 00 00 20', () => {
    const b = encodeFeedbackTuple({ timestamp: 1_700_000_000, token: TOKEN });
    expect(b.toString('hex')).toBe(bytes(FEEDBACK_TUPLE).toString('hex'));
    expect(b.length).toBe(38);
    expect(b.subarray(0, 6).toString('hex')).toBe('6553f1000020');
    expect(encodeFeedbackTuples([{ timestamp: 1_700_000_000, token: TOKEN }, second]).toString('hex')).toBe(
      bytes(FEEDBACK_TUPLE + FEEDBACK_TUPLE_2).toString('hex'),
    );
  });

  it('decodes tuples fed one byte at a time, buffering until 6 + length bytes', () => {
    const d = new FeedbackDecoder();
    const chunks = byteByByte(bytes(FEEDBACK_TUPLE + FEEDBACK_TUPLE_2));
    const got = [];
    for (let i = 0; i < chunks.length; i++) {
      const out = d.push(chunks[i]!);
      expect(out.length).toBe(i === 37 || i === 75 ? 1 : 0);
      got.push(...out);
    }
    expect(got).toEqual([{ timestamp: 1_700_000_000, token: TOKEN }, second]);
    expect(() => d.end()).not.toThrow();
  });

  it('decodes random splits of a long stream, including odd token lengths, with lowercase hex', () => {
    const tuples = Array.from({ length: 300 }, (_, i) => ({
      timestamp: (i * 2_654_435_761) >>> 0,
      token: Buffer.alloc(i % 7 === 0 ? 100 : 32, i).toString('hex'),
    }));
    const stream = encodeFeedbackTuples(tuples.map((t) => ({ ...t, token: t.token.toUpperCase() })));
    for (let seed = 1; seed <= 20; seed++) {
      const d = new FeedbackDecoder();
      expect(randomSplit(stream, seed, 61).flatMap((c) => d.push(c))).toEqual(tuples);
    }
  });

  it('a stream that ends inside a tuple is a protocol error', () => {
    const d = new FeedbackDecoder();
    d.push(bytes(FEEDBACK_TUPLE).subarray(0, 20));
    expect(d.pendingBytes).toBe(20);
    expect(() => d.end()).toThrow(TransportError);
  });

  it('refuses bad input, naming the field', () => {
    const bad: [unknown, unknown, string][] = [
      [-1, TOKEN, 'timestamp'],
      [2 ** 32, TOKEN, 'timestamp'],
      [1, 'abc', 'token'],
      [1, 'zz', 'token'],
      [1, '', 'token'],
    ];
    for (const [timestamp, token, field] of bad) {
      try {
        encodeFeedbackTuple({ timestamp, token } as never);
        throw new Error('no throw');
      } catch (e) {
        expect(e).toBeInstanceOf(ApnsValidationError);
        expect((e as ApnsValidationError).field).toBe(field);
      }
    }
  });
});
