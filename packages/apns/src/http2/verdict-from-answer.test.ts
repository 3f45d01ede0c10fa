import { describe, expect, it } from 'vitest';
import { verdictFromAnswer } from './verdict-from-answer.js';

const ID = '01234567-89ab-cdef-0123-456789abcdef';

describe('verdictFromAnswer', () => {
  it('reads reason and timestamp from the JSON body', () => {
    const body = Buffer.from('{"reason":"Unregistered","timestamp":1700000000000}');
    expect(verdictFromAnswer(410, {}, body, ID)).toEqual({
      outcome: 'token-invalid',
      action: 'token',
      status: 410,
      reason: 'Unregistered',
      timestamp: 1_700_000_000_000,
      apnsId: ID,
    });
  });

  it('classifies unknown reasons and bodies that are not JSON as retry', () => {
    expect(verdictFromAnswer(400, {}, Buffer.from('{"reason":"SomethingNew"}'), ID)).toMatchObject({
      outcome: 'retry',
      reason: 'SomethingNew',
    });
    const odd = verdictFromAnswer(502, {}, Buffer.from('<html>'), ID);
    expect(odd).toEqual({ outcome: 'retry', action: 'retry', status: 502, apnsId: ID });
    expect(verdictFromAnswer(410, {}, undefined, ID).outcome).toBe('token-invalid');
  });

  it('reads retry-after as seconds or as an HTTP date', () => {
    const body = Buffer.from('{"reason":"TooManyRequests"}');
    expect(verdictFromAnswer(429, { 'retry-after': '3' }, body, ID).retryAfterMs).toBe(3000);
    const date = new Date(Date.now() + 60_000).toUTCString();
    const ms = verdictFromAnswer(429, { 'retry-after': date }, body, ID).retryAfterMs!;
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(60_000);
    expect(verdictFromAnswer(429, { 'retry-after': 'soon' }, body, ID).retryAfterMs).toBeUndefined();
  });
});
