import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLE_OIDS,
  type CertificateAuthority,
  createApnsClientCertificate,
  createCertificateAuthority,
  createProviderKey,
  createServerCertificate,
  inspectPushCertificate,
  signProviderToken,
  writeTestCredentials,
} from './index.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

let ca: CertificateAuthority;
beforeAll(() => {
  ca = createCertificateAuthority();
});

describe('createCertificateAuthority', () => {
  it('makes a self-signed CA certificate with a PKCS#8 key', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=Pushfleet Simulator Test CA');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });
});

describe('createServerCertificate', () => {
  it('covers every host in subjectAltName and chains to the CA', () => {
    const server = createServerCertificate(ca, { hosts: ['localhost', '127.0.0.1', '::1', 'sim.test'] });
    const cert = new X509Certificate(server.certPem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('sim.test')).toBe('sim.test');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBeDefined();
    expect(cert.ca).toBe(false);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });
});

describe('createApnsClientCertificate', () => {
  const bundleId = 'com.example.app';
  const teamId = 'ABCDE12345';

  it('is shaped like an Apple push certificate', () => {
    const client = createApnsClientCertificate(ca, { bundleId, teamId, environments: ['development'] });
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).toContain(`UID=${bundleId}`);
    expect(cert.subject).toContain(`CN=Apple Push Services: ${bundleId}`);
    expect(cert.subject).toContain(`OU=${teamId}`);
    expect(cert.subject).toContain('C=US');
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(client.keyPem))).toBe(true);

    const info = inspectPushCertificate(client.certPem);
    expect(info).toMatchObject({ bundleId, teamId, environments: ['development'], multiTopic: true });
    expect(info.topics).toEqual([bundleId, `${bundleId}.voip`, `${bundleId}.complication`]);
    expect(client.topics).toEqual(info.topics);
  });

  it('encodes the environment extensions as NULL and the topic list as Apple does (DER bytes)', () => {
    const client = createApnsClientCertificate(ca, { bundleId: 'a.b', teamId, environments: ['production'] });
    const der = new X509Certificate(client.certPem).raw;
    const prodOid = Buffer.from('06 0a 2a 86 48 86 f7 63 64 06 03 02'.replaceAll(' ', ''), 'hex');
    const devOid = Buffer.from('06 0a 2a 86 48 86 f7 63 64 06 03 01'.replaceAll(' ', ''), 'hex');
    const at = der.indexOf(prodOid);
    expect(at).toBeGreaterThan(0);
    // OID, then OCTET STRING (04 02) wrapping NULL (05 00).
    expect(der.subarray(at + prodOid.length, at + prodOid.length + 4).toString('hex')).toBe('04020500');
    expect(der.indexOf(devOid)).toBe(-1);
    // .3.6 value: 30 LL 0c 03 "a.b" 30 05 0c 03 "app" ...
    const topicsStart = Buffer.from('0c03612e6230050c03617070', 'hex');
    expect(der.indexOf(topicsStart)).toBeGreaterThan(0);
  });

  it('adds extra topics and can make a single-topic certificate', () => {
    const multi = createApnsClientCertificate(ca, { bundleId, teamId, topics: [`${bundleId}.widget.voip`] });
    expect(inspectPushCertificate(multi.certPem).topics).toContain(`${bundleId}.widget.voip`);
    expect(multi.environments).toEqual(['development', 'production']);
    const single = createApnsClientCertificate(ca, {
      bundleId,
      teamId,
      environments: ['production'],
      multiTopic: false,
    });
    const info = inspectPushCertificate(new X509Certificate(single.certPem).raw);
    expect(info).toMatchObject({ multiTopic: false, topics: [bundleId], environments: ['production'] });
    expect(info.commonName).toBe(`Apple Production IOS Push Services: ${bundleId}`);
  });

  it('honours notBefore/notAfter', () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2031-01-01T00:00:00Z');
    const client = createApnsClientCertificate(ca, { bundleId, teamId, notBefore, notAfter });
    const cert = new X509Certificate(client.certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
  });

  it('exports a 3DES .p12 that node:tls loads with the passphrase', () => {
    const client = createApnsClientCertificate(ca, { bundleId, teamId, passphrase: 'secret-pass' });
    expect(() => createSecureContext({ pfx: client.p12, passphrase: 'secret-pass' })).not.toThrow();
    expect(() => createSecureContext({ pfx: client.p12, passphrase: 'wrong' })).toThrow();
  });

  it.skipIf(!hasOpenssl)('reads as Apple-shaped in `openssl x509 -text`', () => {
    const client = createApnsClientCertificate(ca, { bundleId, teamId });
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: client.certPem }).toString();
    expect(text).toContain(`UID = ${bundleId}`);
    expect(text).toContain(`CN = Apple Push Services: ${bundleId}`);
    expect(text).toContain(APPLE_OIDS.development);
    expect(text).toContain(APPLE_OIDS.production);
    expect(text).toContain(APPLE_OIDS.topics);
    expect(text).toContain('TLS Web Client Authentication');
  });
});

describe('createProviderKey / signProviderToken', () => {
  it('makes an EC P-256 PKCS#8 key with 10-character ids', () => {
    const key = createProviderKey();
    expect(key.keyId).toMatch(/^[A-Z0-9]{10}$/);
    expect(key.teamId).toMatch(/^[A-Z0-9]{10}$/);
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const priv = createPrivateKey(key.privateKeyPem);
    expect(priv.asymmetricKeyType).toBe('ec');
    expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(createProviderKey({ keyId: 'KEY1234567', teamId: 'TEAM123456' })).toMatchObject({
      keyId: 'KEY1234567',
      teamId: 'TEAM123456',
    });
    expect(() => createProviderKey({ keyId: 'short' })).toThrow(/10 characters/);
  });

  it('signs an ES256 JWS the public key verifies (P1363 signature)', () => {
    const key = createProviderKey();
    const jwt = signProviderToken(key, { issuedAt: 1_700_000_000 });
    const [h, c, s] = jwt.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'ES256', kid: key.keyId });
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toEqual({
      iss: key.teamId,
      iat: 1_700_000_000,
    });
    const sig = Buffer.from(s, 'base64url');
    expect(sig).toHaveLength(64);
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${c}`),
      { key: createPublicKey(key.publicKeyPem), dsaEncoding: 'ieee-p1363' },
      sig,
    );
    expect(ok).toBe(true);
  });
});

describe('writeTestCredentials', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-creds-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every file mode 0600 and a manifest naming them', async () => {
    const out = await writeTestCredentials(join(dir, 'creds'), {
      bundleId: 'com.example.w',
      passphrase: 'pw',
    });
    const m = out.manifest;
    expect(JSON.parse(readFileSync(out.manifestPath, 'utf8'))).toEqual(m);
    const names = [
      'ca.pem',
      'server-cert.pem',
      'server-key.pem',
      'client-com.example.w.pem',
      'client-com.example.w-key.pem',
      'client-com.example.w.p12',
      'client-com.example.w.p12.pass',
      `AuthKey_${m.keyId}.p8`,
      'credentials.json',
    ];
    for (const name of names) expect(statSync(join(out.dir, name)).mode & 0o777).toBe(0o600);
    expect(m).toMatchObject({
      bundleId: 'com.example.w',
      passphrase: 'pw',
      providerKey: { keyId: m.keyId, teamId: m.teamId },
    });
    expect(m.providerKey.file).toBe(`AuthKey_${m.keyId}.p8`);
    const clientInfo = inspectPushCertificate(readFileSync(join(out.dir, m.client.cert), 'utf8'));
    expect(clientInfo.teamId).toBe(m.teamId);
    const p12 = readFileSync(join(out.dir, m.client.p12));
    expect(() => createSecureContext({ pfx: p12, passphrase: 'pw' })).not.toThrow();
    expect(readFileSync(join(out.dir, m.providerKey.file), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(join(out.dir, m.client.passphraseFile), 'utf8')).toBe('pw\n');
  });
});
