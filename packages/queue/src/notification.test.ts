import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { validateNotification } from './notification.js';

const token = 'ab'.repeat(32);
const base = { token, topic: 'com.example.app', payload: { aps: { alert: 'Hello' } } };

function errorOf(input: unknown): ValidationError {
  try {
    validateNotification(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('validateNotification', () => {
  it('normalises a valid notification: id, lowercase token, serialized payload, default push type', () => {
    const r = validateNotification({ ...base, token: token.toUpperCase() });
    expect(r.token).toBe(token);
    expect(r.payload).toBe('{"aps":{"alert":"Hello"}}');
    expect(r.pushType).toBe('alert');
    expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.priority).toBeUndefined();
  });

  it('keeps a payload string as given, byte for byte', () => {
    const payload = '{ "aps" : { "alert" : "é" } }';
    expect(validateNotification({ ...base, payload }).payload).toBe(payload);
  });

  it('infers background for a content-available-only payload, with priority 5', () => {
    const r = validateNotification({ ...base, payload: { aps: { 'content-available': 1 } } });
    expect(r.pushType).toBe('background');
    expect(r.priority).toBe(5);
  });

  it('refuses a payload over 4,096 bytes naming the size and the limit', () => {
    const body = 'x'.repeat(4113 - '{"aps":{"alert":""}}'.length);
    const e = errorOf({ ...base, payload: { aps: { alert: body } } });
    expect(e.field).toBe('payload');
    expect(e.message).toBe('payload: 4,113 bytes > 4,096 byte limit for alert pushes');
  });

  it('counts bytes, not characters', () => {
    const alert = 'é'.repeat(2040); // 4080 bytes of UTF-8
    expect(errorOf({ ...base, payload: { aps: { alert } } }).problem).toMatch(/^4,100 bytes > 4,096/);
  });

  it('allows 5,120 bytes for VoIP on a .voip topic', () => {
    const alert = 'x'.repeat(5000);
    const r = validateNotification({
      ...base,
      topic: 'com.example.app.voip',
      pushType: 'voip',
      payload: { aps: { alert } },
    });
    expect(r.pushType).toBe('voip');
    expect(errorOf({ ...base, pushType: 'voip', payload: { aps: {} } }).message).toMatch(/topic: .*"\.voip"/);
  });

  it.each([
    [{ ...base, token: undefined }, 'token', /required/],
    [{ ...base, token: 'zz'.repeat(32) }, 'token', /hexadecimal/],
    [{ ...base, token: 'abc' }, 'token', /odd number/],
    [{ ...base, token: 'ab'.repeat(10) }, 'token', /20 hex digits; expected 64 to 200/],
    [{ ...base, topic: '' }, 'topic', /required/],
    [{ ...base, topic: 'com example' }, 'topic', /not a bundle id/],
    [{ ...base, payload: undefined }, 'payload', /required/],
    [{ ...base, payload: '{nope' }, 'payload', /not valid JSON/],
    [{ ...base, payload: [1] }, 'payload', /JSON object/],
    [{ ...base, payload: { alert: 'x' } }, 'payload.aps', /required/],
    [{ ...base, pushType: 'loud' }, 'pushType', /must be one of alert, background/],
    [{ ...base, priority: 7 }, 'priority', /10, 5 or 1/],
    [{ ...base, pushType: 'background', priority: 10 }, 'priority', /5 or 1 for background/],
    [{ ...base, expiration: -1 }, 'expiration', /UNIX seconds/],
    [{ ...base, expiration: 1.5 }, 'expiration', /UNIX seconds/],
    [{ ...base, collapseId: 'c'.repeat(65) }, 'collapseId', /65 bytes > 64/],
    [{ ...base, apnsId: 'not-a-uuid' }, 'apnsId', /UUID/],
    ['just a string', 'notification', /object/],
  ])('refuses %j at field %s', (input, field, problem) => {
    const e = errorOf(input);
    expect(e.field).toBe(field);
    expect(e.problem).toMatch(problem);
  });

  it('accepts a Date expiration as UNIX seconds and lowercases a given apns-id', () => {
    const r = validateNotification({
      ...base,
      expiration: new Date('2030-01-01T00:00:00Z'),
      apnsId: 'A0B1C2D3-0000-4000-8000-00000000000F',
    });
    expect(r.expiration).toBe(1893456000);
    expect(r.id).toBe('a0b1c2d3-0000-4000-8000-00000000000f');
  });
});
