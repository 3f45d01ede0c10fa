/**
 * The certificate endpoint: mutual TLS with generated Apple-shaped client certificates
 * (docs/protocol/certificates.md).
 */
import type { ClientHttp2Session } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApnsClientCertificateOptions,
  createApnsClientCertificate,
} from '../certs/apns-client-certificate.js';
import { createCertificateAuthority } from '../certs/certificate-authority.js';
import { CA, TLS } from './__fixtures__/shared-tls.js';
import { closeSession, connectTo, send } from './__fixtures__/test-client.js';
import { type Simulator, startSimulator } from './start-simulator.js';

const APP = 'com.example.app';
const TEAM = 'TEAMAAAAAA';
let sim: Simulator;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  sim = await startSimulator({ tls: TLS, disallowedTopics: [`${APP}.complication`] });
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map(closeSession));
});
afterAll(() => sim.close());

async function withCertificate(
  options: Partial<ApnsClientCertificateOptions> = {},
  target: Simulator = sim,
): Promise<ClientHttp2Session> {
  const client = createApnsClientCertificate(CA, { bundleId: APP, teamId: TEAM, ...options });
  const s = await connectTo(target.certificateUrl!, {
    ca: target.ca,
    cert: client.certPem,
    key: client.keyPem,
  });
  sessions.push(s);
  return s;
}

function push(session: ClientHttp2Session, headers: Record<string, string> = {}) {
  return send(session, { headers: { 'apns-push-type': 'alert', ...headers } });
}

describe('certificate connections', () => {
  it('accept the certificate’s topics, and ignore authorization', async () => {
    const s = await withCertificate();
    expect(s.remoteSettings.maxConcurrentStreams).toBe(1000);
    expect((await push(s, { 'apns-topic': APP })).status).toBe(200);
    expect((await push(s, { 'apns-topic': `${APP}.voip`, 'apns-push-type': 'voip' })).status).toBe(200);
    expect((await push(s, { 'apns-topic': APP, authorization: 'bearer nonsense' })).status).toBe(200);
    const record = sim.recorder.accepted.at(-1);
    expect(record).toMatchObject({ auth: 'certificate', topic: APP, teamId: TEAM });
  });

  it('a topic outside the certificate → 400 BadTopic', async () => {
    const s = await withCertificate();
    const r = await push(s, { 'apns-topic': 'com.example.other' });
    expect([r.status, r.reason]).toEqual([400, 'BadTopic']);
    expect(
      (await push(s, { 'apns-topic': `${APP}.location-query`, 'apns-push-type': 'location' })).reason,
    ).toBe('BadTopic');
  });

  it('a multi-topic certificate without apns-topic → 400 MissingTopic', async () => {
    expect((await push(await withCertificate())).reason).toBe('MissingTopic');
  });

  it('a single-topic certificate without apns-topic pushes to its UID', async () => {
    const s = await withCertificate({ multiTopic: false, environments: ['development'] });
    expect((await push(s)).status).toBe(200);
    expect(sim.recorder.accepted.at(-1)?.topic).toBe(APP);
    expect((await push(s, { 'apns-topic': `${APP}.voip`, 'apns-push-type': 'voip' })).reason).toBe(
      'BadTopic',
    );
  });

  it('extra topics and disallowed topics', async () => {
    const s = await withCertificate({ topics: ['com.example.watch'] });
    expect((await push(s, { 'apns-topic': 'com.example.watch' })).status).toBe(200);
    const r = await push(s, { 'apns-topic': `${APP}.complication`, 'apns-push-type': 'complication' });
    expect(r.reason).toBe('TopicDisallowed');
  });

  it('a production-only certificate on the development simulator → 403 BadCertificateEnvironment', async () => {
    const r = await push(await withCertificate({ environments: ['production'] }), { 'apns-topic': APP });
    expect([r.status, r.reason]).toEqual([403, 'BadCertificateEnvironment']);
  });

  it('a certificate with no environment extension → 403 BadCertificate', async () => {
    const r = await push(await withCertificate({ environments: [] }), { 'apns-topic': APP });
    expect([r.status, r.reason]).toEqual([403, 'BadCertificate']);
  });

  it('validation order still holds: path before certificate problems', async () => {
    const s = await withCertificate({ environments: ['production'] });
    expect((await send(s, { path: '/3/nope' })).reason).toBe('BadPath');
  });

  it('a certificate from another CA fails the TLS handshake', async () => {
    const stranger = createApnsClientCertificate(createCertificateAuthority(), {
      bundleId: APP,
      teamId: TEAM,
    });
    await expect(
      connectTo(sim.certificateUrl!, { ca: sim.ca, cert: stranger.certPem, key: stranger.keyPem }),
    ).rejects.toThrow();
  });
});

describe('a production simulator', () => {
  let production: Simulator;
  beforeAll(async () => {
    production = await startSimulator({ tls: TLS, environment: 'production' });
  });
  afterAll(() => production.close());

  it('accepts production and universal certificates, refuses development-only ones', async () => {
    const prod = await withCertificate({ environments: ['production'] }, production);
    const universal = await withCertificate({}, production);
    const dev = await withCertificate({ environments: ['development'] }, production);
    const ok = await push(prod, { 'apns-topic': APP });
    expect(ok.status).toBe(200);
    expect(ok.headers['apns-unique-id']).toBeUndefined(); // sandbox only
    expect((await push(universal, { 'apns-topic': APP })).status).toBe(200);
    expect((await push(dev, { 'apns-topic': APP })).reason).toBe('BadCertificateEnvironment');
  });

  it('takes the .p12 export through node:tls pfx', async () => {
    const { connect } = await import('node:http2');
    const client = createApnsClientCertificate(CA, { bundleId: APP, teamId: TEAM, passphrase: 'pw' });
    const s = connect(production.certificateUrl!, { ca: production.ca, pfx: client.p12, passphrase: 'pw' });
    sessions.push(s);
    expect((await push(s, { 'apns-topic': APP })).status).toBe(200);
  });
});
