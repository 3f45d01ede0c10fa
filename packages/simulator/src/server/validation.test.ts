/**
 * Every reason a /3/device request can get (packages/apns/src/reasons.ts), each from a real request over TLS,
 * in the simulator's check order (packages/simulator/README.md, "What it checks, in order").
 */
import type { ClientHttp2Session } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderKey } from '../certs/provider-key.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { TLS } from './__fixtures__/shared-tls.js';
import {
  closeSession,
  connectTo,
  PAYLOAD,
  send,
  type TestRequest,
  TOKEN,
} from './__fixtures__/test-client.js';
import { type Simulator, startSimulator } from './start-simulator.js';

const APP = 'com.example.app';
const key = createProviderKey();
const jwt = signProviderToken(key);
let sim: Simulator;
let session: ClientHttp2Session;

beforeAll(async () => {
  sim = await startSimulator({
    tls: TLS,
    certificatePort: null,
    keys: [key],
    topics: [APP, 'com.example.blocked'],
    disallowedTopics: ['com.example.blocked'],
  });
  session = await connectTo(sim.url, { ca: sim.ca });
});
afterAll(async () => {
  await closeSession(session);
  await sim.close();
});
afterEach(() => {
  sim.rules.clear();
  sim.faults.clear();
  sim.devices.clear();
});

/** A valid alert request with `overrides` applied (a header set to undefined is left out). */
function push(overrides: TestRequest & { headers?: Record<string, string | string[] | undefined> } = {}) {
  const headers: Record<string, string | string[]> = {
    authorization: `bearer ${jwt}`,
    'apns-topic': APP,
    'apns-push-type': 'alert',
  };
  for (const [name, value] of Object.entries(overrides.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return send(session, { ...overrides, headers });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('accepted', () => {
  it('answers 200 with no body, echoing apns-id', async () => {
    const apnsId = '123e4567-e89b-12d3-a456-426614174000';
    const r = await push({ headers: { 'apns-id': apnsId, 'apns-priority': '10', 'apns-expiration': '0' } });
    expect(r).toMatchObject({ status: 200, body: '' });
    expect(r.headers['apns-id']).toBe(apnsId);
    expect(r.headers['apns-unique-id']).toMatch(UUID);
  });

  it('generates a lowercase UUID apns-id when none is sent', async () => {
    const r = await push();
    expect(r.status).toBe(200);
    expect(r.headers['apns-id']).toMatch(UUID);
  });

  it('accepts tokens of 64 to 200 hex digits, either case, and every push type with its suffix', async () => {
    expect((await push({ token: 'AB'.repeat(32) })).status).toBe(200);
    expect((await push({ token: 'ab'.repeat(100) })).status).toBe(200);
    const suffixed = [
      ['voip', `${APP}.voip`],
      ['complication', `${APP}.complication`],
      ['fileprovider', `${APP}.pushkit.fileprovider`],
      ['location', `${APP}.location-query`],
      ['liveactivity', `${APP}.push-type.liveactivity`],
      ['pushtotalk', `${APP}.voip-ptt`],
      ['controls', `${APP}.push-type.controls`],
      ['widgets', `${APP}.push-type.widgets`],
      ['mdm', APP],
    ] as const;
    for (const [pushType, topic] of suffixed) {
      const r = await push({ headers: { 'apns-push-type': pushType, 'apns-topic': topic } });
      expect([pushType, r.status, r.reason]).toEqual([pushType, 200, undefined]);
    }
    const background = { 'apns-push-type': 'background', 'apns-priority': '5' };
    expect((await push({ body: '{"aps":{"content-available":1}}', headers: background })).status).toBe(200);
    expect((await push({ headers: { 'apns-push-type': undefined } })).status).toBe(200);
  });
});

describe('rejections, in the order the simulator checks', () => {
  const cases: [string, Parameters<typeof push>[0], number, string][] = [
    ['GET', { method: 'GET' }, 405, 'MethodNotAllowed'],
    ['PUT', { method: 'PUT' }, 405, 'MethodNotAllowed'],
    ['apns-topic twice', { headers: { 'apns-topic': [APP, APP] } }, 400, 'DuplicateHeaders'],
    ['a custom header twice', { headers: { 'x-custom': ['a', 'b'] } }, 400, 'DuplicateHeaders'],
    ['apns-id not a UUID', { headers: { 'apns-id': 'not-a-uuid' } }, 400, 'BadMessageId'],
    [
      'apns-id without dashes',
      { headers: { 'apns-id': '123e4567e89b12d3a456426614174000' } },
      400,
      'BadMessageId',
    ],
    ['path /3/devices/<token>', { path: `/3/devices/${TOKEN}` }, 404, 'BadPath'],
    ['path /', { path: '/' }, 404, 'BadPath'],
    ['empty token', { path: '/3/device/' }, 400, 'MissingDeviceToken'],
    ['non-hex token', { token: 'zz'.repeat(32) }, 400, 'BadDeviceToken'],
    ['odd-length token', { token: `${'a'.repeat(64)}b` }, 400, 'BadDeviceToken'],
    ['62-digit token', { token: 'a'.repeat(62) }, 400, 'BadDeviceToken'],
    ['202-digit token', { token: 'a'.repeat(202) }, 400, 'BadDeviceToken'],
    ['no authorization', { headers: { authorization: undefined } }, 403, 'MissingProviderToken'],
    ['no apns-topic', { headers: { 'apns-topic': undefined } }, 400, 'MissingTopic'],
    ['topic not the team’s', { headers: { 'apns-topic': 'com.example.other' } }, 400, 'BadTopic'],
    ['disallowed topic', { headers: { 'apns-topic': 'com.example.blocked' } }, 400, 'TopicDisallowed'],
    ['unknown push type', { headers: { 'apns-push-type': 'banner' } }, 400, 'InvalidPushType'],
    ['voip without .voip', { headers: { 'apns-push-type': 'voip' } }, 400, 'InvalidPushType'],
    ['alert to .voip topic', { headers: { 'apns-topic': `${APP}.voip` } }, 400, 'InvalidPushType'],
    ['priority 7', { headers: { 'apns-priority': '7' } }, 400, 'BadPriority'],
    [
      'priority 10 background',
      { headers: { 'apns-push-type': 'background', 'apns-priority': '10' } },
      400,
      'BadPriority',
    ],
    ['expiration soon', { headers: { 'apns-expiration': 'soon' } }, 400, 'BadExpirationDate'],
    ['expiration -1', { headers: { 'apns-expiration': '-1' } }, 400, 'BadExpirationDate'],
    ['expiration 1.5', { headers: { 'apns-expiration': '1.5' } }, 400, 'BadExpirationDate'],
    ['collapse id 65 bytes', { headers: { 'apns-collapse-id': 'c'.repeat(65) } }, 400, 'BadCollapseId'],
    ['empty body', { body: '' }, 400, 'PayloadEmpty'],
    ['4097-byte body', { body: `{"aps":{},"x":"${'x'.repeat(4097 - 17)}"}` }, 413, 'PayloadTooLarge'],
    ['body not JSON [Ours]', { body: 'hello' }, 400, 'PayloadEmpty'],
    ['body a JSON array [Ours]', { body: '[{"aps":{}}]' }, 400, 'PayloadEmpty'],
    ['body without aps [Ours]', { body: '{"alert":"hi"}' }, 400, 'PayloadEmpty'],
    ['aps not a dictionary [Ours]', { body: '{"aps":"hi"}' }, 400, 'PayloadEmpty'],
  ];
  it.each(cases.map(([name, request, status, reason]) => ({ name, request, status, reason })))(
    '$name → $status $reason',
    async ({ request, status, reason }) => {
      const r = await push(request);
      expect([r.status, r.reason]).toEqual([status, reason]);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).toBe(JSON.stringify({ reason }));
      expect(r.headers['apns-id']).toMatch(UUID);
    },
  );

  it('returns the first failure when several apply', async () => {
    const bad = { 'apns-id': 'x', authorization: undefined, 'apns-priority': '7' };
    expect((await push({ method: 'GET', headers: bad })).reason).toBe('MethodNotAllowed');
    expect((await push({ headers: { ...bad, 'apns-topic': [APP, APP] } })).reason).toBe('DuplicateHeaders');
    expect((await push({ headers: bad, token: 'zz' })).reason).toBe('BadMessageId');
    expect((await push({ headers: { ...bad, 'apns-id': undefined }, token: 'zz' })).reason).toBe(
      'BadDeviceToken',
    );
    expect((await push({ headers: { ...bad, 'apns-id': undefined } })).reason).toBe('MissingProviderToken');
    expect((await push({ headers: { 'apns-topic': 'com.nope', 'apns-priority': '7' } })).reason).toBe(
      'BadTopic',
    );
    expect((await push({ headers: { 'apns-priority': '7' }, body: '' })).reason).toBe('BadPriority');
    sim.devices.markDead(TOKEN);
    expect((await push({ body: '' })).reason).toBe('PayloadEmpty');
  });

  it('echoes a valid apns-id on errors and replaces an invalid one', async () => {
    const apnsId = '123e4567-e89b-12d3-a456-426614174000';
    expect((await push({ headers: { 'apns-id': apnsId }, body: '' })).headers['apns-id']).toBe(apnsId);
    expect((await push({ headers: { 'apns-id': 'bad' } })).headers['apns-id']).not.toBe('bad');
  });

  it('measures limits in bytes: collapse id 64 bytes OK, payload 4096 OK, voip 5120 OK and 5121 too large', async () => {
    expect((await push({ headers: { 'apns-collapse-id': 'c'.repeat(64) } })).status).toBe(200);
    const sized = (n: number) => `{"aps":{},"x":"${'é'.repeat((n - 17) / 2)}"}`; // é is 2 bytes in UTF-8
    expect(Buffer.byteLength(sized(4095))).toBe(4095);
    expect((await push({ body: sized(4095) })).status).toBe(200);
    expect((await push({ body: `${sized(4095)} ` })).status).toBe(200); // 4096
    expect((await push({ body: `${sized(4095)}  ` })).reason).toBe('PayloadTooLarge');
    const voip = { 'apns-push-type': 'voip', 'apns-topic': `${APP}.voip` };
    expect((await push({ headers: voip, body: `${sized(5119)} ` })).status).toBe(200);
    expect((await push({ headers: voip, body: `${sized(5119)}  ` })).reason).toBe('PayloadTooLarge');
  });
});

describe('token state', () => {
  it('410 Unregistered with the timestamp in ms', async () => {
    const diedAt = 1_700_000_000_123;
    sim.devices.markDead(TOKEN, { timestamp: diedAt });
    const r = await push();
    expect(r).toMatchObject({ status: 410, reason: 'Unregistered', timestamp: diedAt });
    expect(JSON.parse(r.body)).toEqual({ reason: 'Unregistered', timestamp: diedAt });
    sim.devices.markValid(TOKEN);
    expect((await push()).status).toBe(200);
  });

  it('410 ExpiredToken, timestamp defaulting to the marking time (ms)', async () => {
    const before = Date.now();
    sim.devices.markDead(TOKEN.toUpperCase(), { reason: 'ExpiredToken' });
    const r = await push();
    expect(r).toMatchObject({ status: 410, reason: 'ExpiredToken' });
    expect(r.timestamp).toBeGreaterThanOrEqual(before);
    expect(r.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('400 DeviceTokenNotForTopic, any suffix of the right bundle id is fine', async () => {
    sim.devices.markForTopic(TOKEN, 'com.example.other');
    expect((await push()).reason).toBe('DeviceTokenNotForTopic');
    sim.devices.markForTopic(TOKEN, APP);
    expect((await push()).status).toBe(200);
    const voip = { 'apns-push-type': 'voip', 'apns-topic': `${APP}.voip` };
    expect((await push({ headers: voip })).status).toBe(200);
  });

  it('400 BadDeviceToken for a token of the other environment', async () => {
    sim.devices.markForEnvironment(TOKEN, 'production');
    expect((await push()).reason).toBe('BadDeviceToken');
    sim.devices.markForEnvironment(TOKEN, 'development');
    expect((await push()).status).toBe(200);
  });
});

describe('rules and faults', () => {
  const forced = [
    ['Forbidden', 403],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
    ['Shutdown', 503],
    ['IdleTimeout', 400],
    ['TooManyRequests', 429],
    ['MissingTopic', 400],
    ['BadCertificate', 403],
  ] as const;
  it.each(forced)('a rule answers %s (%i)', async (reason, status) => {
    sim.rules.add({ token: TOKEN, reason });
    const r = await push();
    expect([r.status, r.reason]).toEqual([status, reason]);
    expect((await push({ token: 'cd'.repeat(32) })).status).toBe(200); // other tokens unaffected
  });

  it('rules match token and topic, fire `times` times, and can be removed', async () => {
    const handle = sim.rules.add({ topic: APP, reason: 'TooManyRequests', times: 2 });
    expect((await push()).reason).toBe('TooManyRequests');
    expect((await push({ token: 'cd'.repeat(32) })).reason).toBe('TooManyRequests');
    expect((await push()).status).toBe(200);
    expect(handle.hits).toBe(2);
    const forever = sim.rules.add({ reason: 'Unregistered', timestamp: 42 });
    expect(await push()).toMatchObject({ status: 410, timestamp: 42 });
    forever.remove();
    expect((await push()).status).toBe(200);
  });

  it('rules apply only to requests that pass validation', async () => {
    sim.rules.add({ reason: 'InternalServerError' });
    expect((await push({ body: '' })).reason).toBe('PayloadEmpty');
  });

  it('faults answer 429/500/503 at the configured rates, reproducibly for a seed', async () => {
    sim.faults.set({ rate500: 1 });
    expect((await push()).reason).toBe('InternalServerError');
    sim.faults.set({ rate503: 1 });
    expect((await push()).reason).toBe('ServiceUnavailable');
    sim.faults.set({ rate429: 1 });
    expect((await push()).reason).toBe('TooManyRequests');
    const run = async () => {
      sim.faults.set({ rate429: 0.2, rate500: 0.2, rate503: 0.2, seed: 7 });
      const out: (string | undefined)[] = [];
      for (let i = 0; i < 30; i++) out.push((await push()).reason);
      return out;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(
      new Set([undefined, 'TooManyRequests', 'InternalServerError', 'ServiceUnavailable']),
    );
    expect(() => sim.faults.set({ rate500: 2 })).toThrow(RangeError);
  });
});

describe('recorder', () => {
  it('records accepted notifications with their apns-* headers and payload, never authorization', async () => {
    sim.recorder.clear();
    const apnsId = '00000000-0000-4000-8000-000000000001';
    await push({ headers: { 'apns-id': apnsId, 'apns-collapse-id': 'c1' } });
    await push({ body: '' });
    const [record] = sim.recorder.accepted;
    expect(record).toMatchObject({
      apnsId,
      token: TOKEN,
      topic: APP,
      payload: PAYLOAD,
      auth: 'token',
      teamId: key.teamId,
      headers: { 'apns-id': apnsId, 'apns-collapse-id': 'c1', 'apns-topic': APP, 'apns-push-type': 'alert' },
    });
    expect(record?.headers).not.toHaveProperty('authorization');
    expect(record?.receivedAt).toBeGreaterThan(Date.now() - 5000);
    expect(sim.recorder.counters).toMatchObject({ accepted: 1, rejected: 1, byReason: { PayloadEmpty: 1 } });
    expect(sim.recorder.rejected[0]).toMatchObject({
      status: 400,
      reason: 'PayloadEmpty',
      path: `/3/device/${TOKEN}`,
    });
  });
});
