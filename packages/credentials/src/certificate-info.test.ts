import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createPlainCertificate,
  createPushCertificate,
  createTestAuthority,
  createTestKey,
  toP12,
} from './__fixtures__/apple-certificates.js';
import { inspectCertificate } from './certificate-info.js';
import { certificatePem } from './certificate-pem.js';
import { detectCredentialFormat } from './credential-format.js';

const wwdr = createTestAuthority();
const notBefore = new Date('2025-01-01T00:00:00Z');
const notAfter = new Date('2026-01-01T00:00:00Z');
const push = createPushCertificate({
  issuer: wwdr,
  bundleId: 'com.example.app',
  teamId: 'TEAM123456',
  notBefore,
  notAfter,
});

describe('inspectCertificate', () => {
  it('reads subject, bundle id, topics, environments, issuer, validity and fingerprint', () => {
    const info = inspectCertificate(push.certPem, {
      source: 'cert.pem',
      now: new Date('2025-12-01T12:00:00Z'),
    });
    expect(info).toEqual({
      source: 'cert.pem',
      subject: {
        commonName: 'Apple Push Services: com.example.app',
        uid: 'com.example.app',
        teamId: 'TEAM123456',
        organization: 'Example Inc.',
        country: 'US',
        text: 'UID=com.example.app, CN=Apple Push Services: com.example.app, OU=TEAM123456, O=Example Inc., C=US',
      },
      bundleId: 'com.example.app',
      topics: ['com.example.app', 'com.example.app.voip', 'com.example.app.complication'],
      environments: ['development', 'production'],
      isPushCertificate: true,
      multiTopic: true,
      issuer: 'Apple Worldwide Developer Relations Certification Authority',
      serialNumber: push.cert.serialNumber.toLowerCase(),
      notBefore,
      notAfter,
      daysLeft: 30,
      keyPresent: false,
      keyMatches: false,
      sha256: new X509Certificate(push.der).fingerprint256,
    });
  });

  it('reads a DER .cer, and a single-environment certificate with no topic list', () => {
    const dev = createPushCertificate({
      environments: ['development'],
      topics: [],
      bundleId: 'com.example.old',
      commonName: 'Apple Development IOS Push Services: com.example.old',
    });
    const info = inspectCertificate(dev.der, { source: 'aps_development.cer' });
    expect(info.environments).toEqual(['development']);
    expect(info.topics).toEqual(['com.example.old']);
  });

  it('decodes UTF-8 topics and keeps extra ones', () => {
    const cert = createPushCertificate({
      bundleId: 'com.example.café',
      topics: [
        ['com.example.café', 'app'],
        ['com.example.café.voip', 'voip'],
        ['com.example.widget', 'app'],
      ],
    });
    expect(inspectCertificate(cert.certPem).topics).toEqual([
      'com.example.café',
      'com.example.café.voip',
      'com.example.widget',
    ]);
  });

  it('checks a key given beside the certificate, or found in the same PEM', () => {
    expect(inspectCertificate(push.certPem, { keyPem: push.key.pem })).toMatchObject({
      keyPresent: true,
      keyMatches: true,
    });
    expect(inspectCertificate(push.certPem + push.key.pem)).toMatchObject({
      keyPresent: true,
      keyMatches: true,
    });
    expect(inspectCertificate(push.certPem, { keyPem: createTestKey().pem })).toMatchObject({
      keyPresent: true,
      keyMatches: false,
    });
  });

  it('reports a certificate without Apple extensions as not a push certificate', () => {
    const info = inspectCertificate(createPlainCertificate().certPem);
    expect(info).toMatchObject({
      isPushCertificate: false,
      environments: [],
      topics: [],
      bundleId: undefined,
    });
  });
});

describe('certificatePem', () => {
  it('turns a DER .cer into the PEM openssl x509 -inform der writes', () => {
    const pem = certificatePem(push.der, 'aps.cer');
    expect(pem).toBe(new X509Certificate(push.der).toString());
  });
});

describe('detectCredentialFormat', () => {
  it('tells the files apart by content', () => {
    expect(detectCredentialFormat(Buffer.from(push.certPem))).toBe('pem-certificate');
    expect(detectCredentialFormat(Buffer.from(push.certPem + push.key.pem))).toBe('pem-certificate');
    expect(detectCredentialFormat(Buffer.from(push.key.pem))).toBe('pem-key');
    expect(detectCredentialFormat(push.der)).toBe('der-certificate');
    expect(detectCredentialFormat(toP12(push.key, [push], 'x'))).toBe('p12');
    expect(detectCredentialFormat(Buffer.from('hello'))).toBe('unknown');
  });
});
