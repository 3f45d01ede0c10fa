import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AppConfig } from '@pushfleet/config';
import {
  createApnsClientCertificate,
  createProviderKey,
  type Simulator,
  startSimulator,
} from '@pushfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkApp, runDoctor } from './doctor.js';

const dir = mkdtempSync(join(tmpdir(), 'pushfleet-doctor-'));
const key = createProviderKey();
const stranger = createProviderKey();
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
  });
  writeFileSync(join(dir, 'ca.pem'), sim.ca);
  writeFileSync(join(dir, 'key.p8'), key.privateKeyPem);
  writeFileSync(join(dir, 'stranger.p8'), stranger.privateKeyPem);
  const ca = sim.credentials.ca!;
  const good = createApnsClientCertificate(ca, {
    bundleId: 'com.example.doc',
    teamId: 'DOCTEAM001',
    environments: ['development'],
    passphrase: 'pw12',
  });
  const soon = createApnsClientCertificate(ca, {
    bundleId: 'com.example.doc',
    teamId: 'DOCTEAM001',
    environments: ['development'],
    passphrase: 'pw12',
    validityDays: 10,
  });
  writeFileSync(join(dir, 'good.p12'), good.p12);
  writeFileSync(join(dir, 'soon.p12'), soon.p12);
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const tokenApp = (name: string, p8: string, k = key): AppConfig => ({
  name,
  topics: ['com.example.doc'],
  transport: 'http2',
  environment: 'url',
  url: sim.url,
  caFile: join(dir, 'ca.pem'),
  credentials: { type: 'token', key: { file: join(dir, p8) }, keyId: k.keyId, teamId: k.teamId },
});
const certApp = (name: string, p12: string): AppConfig => ({
  name,
  topics: ['com.example.doc'],
  transport: 'http2',
  environment: 'url',
  url: sim.certificateUrl!,
  caFile: join(dir, 'ca.pem'),
  credentials: { type: 'certificate', certificate: { file: join(dir, p12) }, passphraseEnv: 'DOC_PASS' },
});
const env = { DOC_PASS: 'pw12' };

describe('pushfleet doctor', () => {
  it('passes a token app: settings exchange and a test request the simulator accepts', async () => {
    const line = await checkApp(tokenApp('tok', 'key.p8'), { env });
    expect(line.status).toBe('ok');
    expect(line.text).toMatch(
      new RegExp(
        `^token ${key.keyId}/${key.teamId}, ${sim.url}, TLS\\+h2 ok \\(max streams 1\\), test push accepted$`,
      ),
    );
  });

  it('passes a certificate app and warns when it expires within 30 days', async () => {
    expect((await checkApp(certApp('cert', 'good.p12'), { env })).status).toBe('ok');
    const soon = await checkApp(certApp('soon', 'soon.p12'), { env });
    expect(soon.status).toBe('warn');
    expect(soon.text).toMatch(/certificate expires in (9|10) days/);
  });

  it("fails a key the server does not know, with Apple's reason", async () => {
    const line = await checkApp(tokenApp('unknown-key', 'stranger.p8', stranger), { env });
    expect(line.status).toBe('fail');
    expect(line.text).toMatch(/test push answered 403 InvalidProviderToken$/);
  });

  it('fails credentials that do not load, and an endpoint that does not answer', async () => {
    const wrongPass = await checkApp(certApp('wrong-pass', 'good.p12'), { env: { DOC_PASS: 'nope' } });
    expect(wrongPass).toMatchObject({
      status: 'fail',
      text: expect.stringMatching(/^credentials: .*good\.p12: wrong passphrase/),
    });
    const down = await checkApp(
      { ...tokenApp('down', 'key.p8'), url: 'https://127.0.0.1:1' },
      { env, timeoutMs: 2000 },
    );
    expect(down).toMatchObject({
      status: 'fail',
      text: expect.stringMatching(/cannot connect: .*ECONNREFUSED/),
    });
  });

  it('prints one line per app and exits 1 when any app fails', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const code = await runDoctor(
      [tokenApp('a', 'key.p8'), tokenApp('b', 'stranger.p8', stranger)],
      { env },
      out,
    );
    expect(code).toBe(1);
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ok {3}a: /);
    expect(lines[1]).toMatch(/^FAIL b: /);
  });
});
