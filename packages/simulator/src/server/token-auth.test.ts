/**
 * Provider-token authentication over real token connections (docs/protocol/http2-provider-api.md, "Provider
 * tokens").
 */
import type { ClientHttp2Session } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderKey, type ProviderKey } from '../certs/provider-key.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { TLS } from './__fixtures__/shared-tls.js';
import { closeSession, connectTo, send } from './__fixtures__/test-client.js';
import { type Simulator, startSimulator } from './start-simulator.js';

const APP = 'com.example.app';
const teamKey = createProviderKey({ teamId: 'TEAMAAAAAA' });
const teamKey2 = createProviderKey({ teamId: 'TEAMAAAAAA' });
const otherTeamKey = createProviderKey({ teamId: 'TEAMBBBBBB' });
const productionKey = createProviderKey({ teamId: 'TEAMAAAAAA' });
const scopedKey = createProviderKey({ teamId: 'TEAMAAAAAA' });
const scopedOther = createProviderKey({ teamId: 'TEAMAAAAAA' });
const scopedRelated = createProviderKey({ teamId: 'TEAMAAAAAA' });
const unregistered = createProviderKey({ teamId: 'TEAMAAAAAA' });

let clock = Date.now();
let sim: Simulator;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    tls: TLS,
    certificatePort: null,
    now: () => clock,
    keys: [
      teamKey,
      teamKey2,
      otherTeamKey,
      { ...productionKey, environment: 'production' },
      { ...scopedKey, topics: [APP] },
      { ...scopedOther, topics: ['com.example.other'] },
      { ...scopedRelated, topics: ['com.example.other'], relatedKeyId: scopedKey.keyId },
    ],
  });
});
afterEach(async () => {
  clock = Date.now();
  await Promise.all(sessions.splice(0).map(closeSession));
});
afterAll(() => sim.close());

async function connection(): Promise<ClientHttp2Session> {
  const s = await connectTo(sim.url, { ca: sim.ca });
  sessions.push(s);
  return s;
}

const nowSeconds = () => Math.floor(clock / 1000);

function push(session: ClientHttp2Session, authorization: string | undefined, topic = APP) {
  const headers: Record<string, string> = { 'apns-topic': topic, 'apns-push-type': 'alert' };
  if (authorization !== undefined) headers.authorization = authorization;
  return send(session, { headers });
}

const bearer = (key: ProviderKey, options?: Parameters<typeof signProviderToken>[1]) =>
  `bearer ${signProviderToken(key, { issuedAt: nowSeconds(), ...options })}`;

describe('the token itself', () => {
  const invalid: [string, () => string][] = [
    ['not a JWS', () => 'bearer abc.def'],
    ['garbage parts', () => 'bearer !!!.???.***'],
    ['alg HS256', () => bearer(teamKey, { header: { alg: 'HS256' } })],
    ['alg none', () => bearer(teamKey, { header: { alg: 'none' } })],
    ['unknown kid', () => bearer(unregistered)],
    ['iss of another team', () => bearer(teamKey, { claims: { iss: 'TEAMBBBBBB' } })],
    ['iat not a number', () => bearer(teamKey, { claims: { iat: 'now' } })],
    ['iat two minutes in the future [Ours]', () => bearer(teamKey, { issuedAt: nowSeconds() + 120 })],
    [
      'signed by another key under this kid',
      () => bearer({ ...unregistered, keyId: teamKey.keyId, teamId: teamKey.teamId }),
    ],
    [
      'signature tampered',
      () => {
        const t = bearer(teamKey);
        return `${t.slice(0, -4)}${t.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      },
    ],
  ];
  it.each(invalid.map(([name, token]) => ({ name, token })))(
    '$name → 403 InvalidProviderToken',
    async ({ token }) => {
      const r = await push(await connection(), token());
      expect([r.status, r.reason]).toEqual([403, 'InvalidProviderToken']);
    },
  );

  it('no authorization, an empty bearer or another scheme → 403 MissingProviderToken', async () => {
    const s = await connection();
    expect((await push(s, undefined)).reason).toBe('MissingProviderToken');
    expect((await push(s, 'bearer ')).reason).toBe('MissingProviderToken');
    expect((await push(s, `Basic ${Buffer.from('a:b').toString('base64')}`)).reason).toBe(
      'MissingProviderToken',
    );
  });

  it('accepts the scheme in any case', async () => {
    const token = signProviderToken(teamKey, { issuedAt: nowSeconds() });
    expect((await push(await connection(), `Bearer ${token}`)).status).toBe(200);
    expect((await push(await connection(), `BEARER ${token}`)).status).toBe(200);
  });

  it('iat older than one hour → 403 ExpiredProviderToken; 59 minutes is fine', async () => {
    expect((await push(await connection(), bearer(teamKey, { issuedAt: nowSeconds() - 3601 }))).reason).toBe(
      'ExpiredProviderToken',
    );
    expect(
      (await push(await connection(), bearer(teamKey, { issuedAt: nowSeconds() - 59 * 60 }))).status,
    ).toBe(200);
  });

  it('a cached token expires as the clock moves', async () => {
    const s = await connection();
    const token = bearer(teamKey);
    expect((await push(s, token)).status).toBe(200);
    clock += 3601_000;
    expect((await push(s, token)).reason).toBe('ExpiredProviderToken');
  });

  it('verifies a token once per connection (cached), so a key removed later still serves that connection', async () => {
    const key = createProviderKey({ teamId: 'TEAMCCCCCC' });
    sim.keys.add(key);
    const token = bearer(key);
    const s = await connection();
    expect((await push(s, token)).status).toBe(200);
    sim.keys.remove(key.keyId);
    expect((await push(s, token)).status).toBe(200);
    expect((await push(await connection(), token)).reason).toBe('InvalidProviderToken');
  });
});

describe('keys and connections', () => {
  it('a key scoped to the other environment → 403 BadEnvironmentKeyIdInToken', async () => {
    expect((await push(await connection(), bearer(productionKey))).reason).toBe('BadEnvironmentKeyIdInToken');
  });

  it('a second team on one connection → 403 InvalidProviderToken; it is fine on its own connection', async () => {
    const s = await connection();
    expect((await push(s, bearer(teamKey))).status).toBe(200);
    expect((await push(s, bearer(otherTeamKey))).reason).toBe('InvalidProviderToken');
    expect((await push(await connection(), bearer(otherTeamKey))).status).toBe(200);
  });

  it('team-scoped keys of one team share a connection (after the update interval)', async () => {
    const s = await connection();
    expect((await push(s, bearer(teamKey))).status).toBe(200);
    clock += 21 * 60_000;
    expect((await push(s, bearer(teamKey2))).status).toBe(200);
  });

  it('topic-scoped keys: outside its topics → InvalidProviderToken; unrelated key → UnrelatedKeyIdInToken', async () => {
    expect((await push(await connection(), bearer(scopedKey), 'com.example.other')).reason).toBe(
      'InvalidProviderToken',
    );
    expect((await push(await connection(), bearer(scopedKey), `${APP}.voip`)).reason).toBe('InvalidPushType');
    const s = await connection();
    expect((await push(s, bearer(scopedKey))).status).toBe(200);
    clock += 21 * 60_000;
    expect((await push(s, bearer(scopedOther), 'com.example.other')).reason).toBe('UnrelatedKeyIdInToken');
    expect((await push(s, bearer(scopedRelated), 'com.example.other')).status).toBe(200);
  });

  it('a new token within 20 minutes → 429 TooManyProviderTokenUpdates; the old one keeps working', async () => {
    const s = await connection();
    const first = bearer(teamKey);
    const second = bearer(teamKey, { issuedAt: nowSeconds() - 1 });
    expect((await push(s, first)).status).toBe(200);
    const r = await push(s, second);
    expect([r.status, r.reason]).toEqual([429, 'TooManyProviderTokenUpdates']);
    expect((await push(s, first)).status).toBe(200);
    expect((await push(await connection(), second)).status).toBe(200); // a fresh connection may use it
    clock += 20 * 60_000;
    expect((await push(s, second)).status).toBe(200);
  });

  it('tokenUpdateIntervalMs is configurable', async () => {
    const relaxed = await startSimulator({
      tls: TLS,
      certificatePort: null,
      keys: [teamKey],
      tokenUpdateIntervalMs: 0,
    });
    const s = await connectTo(relaxed.url, { ca: relaxed.ca });
    try {
      expect((await push(s, bearer(teamKey))).status).toBe(200);
      expect((await push(s, bearer(teamKey, { issuedAt: nowSeconds() - 1 }))).status).toBe(200);
    } finally {
      await closeSession(s);
      await relaxed.close();
    }
  });
});

describe('topics per team', () => {
  it('a record of bundle ids per team: others → 400 BadTopic', async () => {
    const strict = await startSimulator({
      tls: TLS,
      certificatePort: null,
      keys: [teamKey, otherTeamKey],
      topics: { [teamKey.teamId]: [APP] },
    });
    const a = await connectTo(strict.url, { ca: strict.ca });
    const b = await connectTo(strict.url, { ca: strict.ca });
    const token = bearer(teamKey); // one token: a second one on `a` would be a token update
    try {
      expect((await push(a, token)).status).toBe(200);
      expect((await push(a, token, `${APP}.voip`)).reason).toBe('InvalidPushType'); // known topic, wrong type
      expect((await push(a, token, 'com.example.other')).reason).toBe('BadTopic');
      expect((await push(b, bearer(otherTeamKey))).reason).toBe('BadTopic');
    } finally {
      await Promise.all([closeSession(a), closeSession(b)]);
      await strict.close();
    }
  });
});

describe('the recorder counts distinct provider tokens', () => {
  it('one token on many connections counts once; a refused token not at all; clear() resets', async () => {
    sim.recorder.clear();
    const shared = bearer(teamKey);
    for (let i = 0; i < 3; i++) expect((await push(await connection(), shared)).status).toBe(200);
    expect((await push(await connection(), bearer(unregistered))).status).toBe(403);
    expect(sim.recorder.counters.providerTokens).toBe(1);
    expect((await push(await connection(), bearer(teamKey2))).status).toBe(200);
    expect(sim.recorder.counters.providerTokens).toBe(2);
    sim.recorder.clear();
    expect(sim.recorder.counters.providerTokens).toBe(0);
  });
});
