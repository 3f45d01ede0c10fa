/**
 * Certificates on the broadcast route (docs/protocol/broadcast.md E.1: Apple's pages disagree, so accepted by
 * default and refusable by a switch), and Live Activities on /3/device: refused on certificate connections,
 * linted on token ones.
 */
import type { ClientHttp2Session } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApnsClientCertificate } from '../certs/apns-client-certificate.js';
import { createProviderKey } from '../certs/provider-key.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { CA, TLS } from '../server/__fixtures__/shared-tls.js';
import { closeSession, connectTo, send } from '../server/__fixtures__/test-client.js';
import { type Simulator, startSimulator } from '../server/start-simulator.js';

const APP = 'com.example.app';
let sim: Simulator;
let strict: Simulator;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  [sim, strict] = await Promise.all([
    startSimulator({ tls: TLS, managementPort: null }),
    startSimulator({ tls: TLS, managementPort: null, broadcast: { certificateAuth: 'refuse' } }),
  ]);
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map(closeSession));
});
afterAll(async () => {
  await Promise.all([sim.close(), strict.close()]);
});

async function certificateSession(target: Simulator, environments?: ('development' | 'production')[]) {
  const client = createApnsClientCertificate(CA, {
    bundleId: APP,
    teamId: 'TEAMAAAAAA',
    ...(environments ? { environments } : {}),
  });
  const s = await connectTo(target.certificateUrl!, {
    ca: target.ca,
    cert: client.certPem,
    key: client.keyPem,
  });
  sessions.push(s);
  return s;
}

const broadcast = (s: ClientHttp2Session, channelId: string, bundle = APP) =>
  send(s, {
    path: `/4/broadcasts/apps/${bundle}`,
    headers: {
      'apns-channel-id': channelId,
      'apns-push-type': 'liveactivity',
      'apns-expiration': '0',
      'apns-priority': '10',
    },
    body: '{"aps":{"event":"update","timestamp":1,"content-state":{}}}',
  });

describe('certificate connections on the broadcast route', () => {
  it('are accepted for the certificate’s bundle id, and TopicMismatch for another', async () => {
    const id = sim.channels.create(APP, 0, 'LiveActivity', Date.now())!.id;
    const s = await certificateSession(sim);
    expect((await broadcast(s, id)).status).toBe(200);
    expect((await sim.broadcasts.waitFor(1))[0]).toMatchObject({ auth: 'certificate', channelId: id });
    const other = await broadcast(s, id, 'com.example.other');
    expect([other.status, other.reason]).toEqual([403, 'TopicMismatch']);
  });

  it('answer the certificate reasons: BadCertificateEnvironment, BadCertificate', async () => {
    const id = sim.channels.create(APP, 0, 'LiveActivity', Date.now())!.id;
    const production = await broadcast(await certificateSession(sim, ['production']), id);
    expect([production.status, production.reason]).toEqual([403, 'BadCertificateEnvironment']);
    const none = await broadcast(await certificateSession(sim, []), id);
    expect([none.status, none.reason]).toEqual([403, 'BadCertificate']);
  });

  it('are refused with MissingProviderToken under certificateAuth: refuse', async () => {
    const id = strict.channels.create(APP, 0, 'LiveActivity', Date.now())!.id;
    const r = await broadcast(await certificateSession(strict), id);
    expect([r.status, r.reason]).toEqual([403, 'MissingProviderToken']);
  });
});

describe('Live Activities on /3/device', () => {
  it('are refused on a certificate connection with BadTopic (token auth only)', async () => {
    const s = await certificateSession(sim);
    const r = await send(s, {
      headers: { 'apns-topic': `${APP}.push-type.liveactivity`, 'apns-push-type': 'liveactivity' },
      body: '{"aps":{"event":"update","timestamp":1,"content-state":{}}}',
    });
    expect([r.status, r.reason]).toEqual([400, 'BadTopic']);
  });
});

describe('Live Activity lint on /3/device', () => {
  it('records what a device would drop, and accepts it', async () => {
    const key = createProviderKey();
    await using tokenSim = await startSimulator({
      tls: TLS,
      certificatePort: null,
      managementPort: null,
      keys: [key],
    });
    const s = await connectTo(tokenSim.url, { ca: tokenSim.ca });
    sessions.push(s);
    const r = await send(s, {
      headers: {
        authorization: `bearer ${signProviderToken(key)}`,
        'apns-topic': `${APP}.push-type.liveactivity`,
        'apns-push-type': 'liveactivity',
        'apns-priority': '1',
      },
      body: '{"aps":{"event":"update","timestamp":1,"content-state":{},"dismissal-date":5}}',
    });
    expect(r.status).toBe(200);
    const [record] = await tokenSim.recorder.waitFor(1);
    expect(record?.warnings).toEqual([
      'aps.dismissal-date: only on end',
      'apns-priority: 1 on a Live Activity',
    ]);
  });
});
