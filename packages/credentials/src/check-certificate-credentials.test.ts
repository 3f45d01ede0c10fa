import { describe, expect, it } from 'vitest';
import {
  createPlainCertificate,
  createPushCertificate,
  createTestKey,
} from './__fixtures__/apple-certificates.js';
import { thrown } from './__fixtures__/thrown.js';
import { inspectCertificate } from './certificate-info.js';
import { checkCertificateCredentials, findCertificateProblems } from './check-certificate-credentials.js';

const now = new Date('2025-06-01T00:00:00Z');
const validity = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2026-01-01T00:00:00Z') };
const key = createTestKey();
const withKey = (cert: { certPem: string }, source = 'aps.pem') =>
  inspectCertificate(cert.certPem, { keyPem: key.pem, source, now });

describe('checkCertificateCredentials', () => {
  const universal = withKey(createPushCertificate({ key, bundleId: 'com.example.app', ...validity }));

  it('passes a universal certificate with its key, in both environments and for its topics', () => {
    for (const environment of ['production', 'sandbox'] as const) {
      expect(() =>
        checkCertificateCredentials(universal, { environment, topics: ['com.example.app.voip'], now }),
      ).not.toThrow();
    }
  });

  it('refuses a certificate without its key', () => {
    const info = inspectCertificate(createPushCertificate({ key, ...validity }).certPem, {
      source: 'cert.pem',
      now,
    });
    const error = thrown(() => checkCertificateCredentials(info, { environment: 'production', now }));
    expect(error.code).toBe('NO_PRIVATE_KEY');
    expect(error.message).toMatch(
      /^cert\.pem: holds a certificate but no private key: a PEM exported without its key/,
    );
  });

  it('refuses a key of another certificate', () => {
    const info = inspectCertificate(createPushCertificate({ key, ...validity }).certPem, {
      keyPem: createTestKey().pem,
      source: 'ck.pem',
      now,
    });
    expect(thrown(() => checkCertificateCredentials(info, { environment: 'sandbox', now })).message).toBe(
      'ck.pem: the private key does not match the certificate (different RSA modulus): it belongs to another certificate',
    );
  });

  it('refuses an expired certificate, with the date', () => {
    const info = withKey(createPushCertificate({ key, ...validity }), 'old.p12');
    const later = new Date('2026-01-11T00:00:00Z');
    const error = thrown(() => checkCertificateCredentials(info, { environment: 'production', now: later }));
    expect(error.code).toBe('EXPIRED');
    expect(error.message).toBe(
      'old.p12: the certificate expired on 2026-01-01T00:00:00Z (10 days ago); create a new one in the Apple Developer portal',
    );
  });

  it('refuses a certificate that is not yet valid', () => {
    const info = withKey(createPushCertificate({ key, ...validity }), 'new.p12');
    const before = new Date('2024-12-31T00:00:00Z');
    expect(
      thrown(() => checkCertificateCredentials(info, { environment: 'production', now: before })).message,
    ).toBe('new.p12: the certificate is not valid until 2025-01-01T00:00:00Z');
  });

  it('refuses a certificate that is not an Apple push certificate', () => {
    const info = withKey(createPlainCertificate(key, validity), 'server.pem');
    const error = thrown(() => checkCertificateCredentials(info, { environment: 'production', now }));
    expect(error.code).toBe('NOT_PUSH_CERTIFICATE');
    expect(error.message).toBe(
      'server.pem: is not an Apple push certificate (CN=www.example.com): it has no APNs environment extension ' +
        '(1.2.840.113635.100.6.3.1 development, 1.2.840.113635.100.6.3.2 production)',
    );
  });

  it('refuses a development certificate against production, and the reverse', () => {
    const dev = withKey(
      createPushCertificate({ key, environments: ['development'], ...validity }),
      'dev.p12',
    );
    expect(thrown(() => checkCertificateCredentials(dev, { environment: 'production', now })).message).toBe(
      'dev.p12: is a development-only certificate but is configured for production ' +
        '(it lacks the production extension 1.2.840.113635.100.6.3.2)',
    );
    const prod = withKey(
      createPushCertificate({ key, environments: ['production'], ...validity }),
      'prod.p12',
    );
    const error = thrown(() => checkCertificateCredentials(prod, { environment: 'sandbox', now }));
    expect(error.code).toBe('WRONG_ENVIRONMENT');
    expect(error.message).toBe(
      'prod.p12: is a production-only certificate but is configured for sandbox ' +
        '(it lacks the development extension 1.2.840.113635.100.6.3.1)',
    );
  });

  it('refuses a topic the certificate does not cover', () => {
    const error = thrown(() =>
      checkCertificateCredentials(universal, { environment: 'production', topics: ['com.other.app'], now }),
    );
    expect(error.code).toBe('TOPIC_NOT_COVERED');
    expect(error.message).toBe(
      'aps.pem: the certificate does not cover topic "com.other.app" ' +
        '(it covers: com.example.app, com.example.app.voip, com.example.app.complication)',
    );
  });
});

describe('findCertificateProblems', () => {
  it('lists every problem in check order, and can skip the key check', () => {
    const info = inspectCertificate(
      createPushCertificate({ key, environments: ['development'], ...validity }).certPem,
      { source: 'x', now },
    );
    const problems = findCertificateProblems(info, {
      environment: 'production',
      topics: ['nope'],
      now: new Date('2027-01-01T00:00:00Z'),
    });
    expect(problems.map((p) => p.code)).toEqual([
      'NO_PRIVATE_KEY',
      'EXPIRED',
      'WRONG_ENVIRONMENT',
      'TOPIC_NOT_COVERED',
    ]);
    expect(findCertificateProblems(info, { requireKey: false, now })).toEqual([]);
  });
});
