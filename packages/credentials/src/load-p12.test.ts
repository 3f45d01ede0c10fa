import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPlainCertificate,
  createPushCertificate,
  createTestAuthority,
  createTestKey,
  toLegacyRc2P12,
  toP12,
} from './__fixtures__/apple-certificates.js';
import { thrown } from './__fixtures__/thrown.js';
import { loadP12 } from './load-p12.js';

const PASS = 'correct horse';
const wwdr = createTestAuthority();
const push = createPushCertificate({ issuer: wwdr, bundleId: 'com.example.app' });
const openssl = hasOpenssl();
const dir = mkdtempSync(join(tmpdir(), 'pushfleet-p12-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadP12', () => {
  it.each(['3des', 'aes256'] as const)('round-trips a %s p12: certificate, key and info', (algorithm) => {
    const creds = loadP12(toP12(push.key, [push, wwdr], PASS, algorithm), PASS, 'aps.p12');
    expect(creds.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(creds.certPem).not.toContain('\r');
    expect(creds.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(creds.chainPem).toHaveLength(1);
    expect(creds.certificate).toMatchObject({
      source: 'aps.p12',
      bundleId: 'com.example.app',
      keyPresent: true,
      keyMatches: true,
      isPushCertificate: true,
      environments: ['development', 'production'],
      issuer: 'Apple Worldwide Developer Relations Certification Authority',
    });
    // The PEMs are what node:tls takes (it throws when key and certificate do not match).
    expect(() => createSecureContext({ cert: creds.certPem, key: creds.keyPem })).not.toThrow();
  });

  it('reads a legacy RC2-40 p12 (what OpenSSL 3 refuses without -legacy)', () => {
    const bytes = toLegacyRc2P12(push.key, [push, wwdr], PASS);
    const creds = loadP12(bytes, PASS, 'legacy.p12');
    expect(creds.certificate.keyMatches).toBe(true);
    expect(creds.certificate.sha256).toBe(
      loadP12(toP12(push.key, [push], PASS), PASS, 'x').certificate.sha256,
    );
  });

  it.skipIf(!openssl)(
    'builds a legacy p12 that openssl reads only with -legacy, and agrees on the modulus',
    () => {
      const file = join(dir, 'legacy.p12');
      writeFileSync(file, toLegacyRc2P12(push.key, [push], PASS));
      const env = { ...process.env, P12_PASS: PASS };
      const args = ['pkcs12', '-in', file, '-clcerts', '-nokeys', '-passin', 'env:P12_PASS'];
      expect(() => execFileSync('openssl', args, { env, stdio: 'pipe' })).toThrow(/RC2|unsupported/i);
      const certPem = execFileSync('openssl', [...args, '-legacy'], { env, stdio: 'pipe' }).toString();
      const creds = loadP12(readFileSync(file), PASS, file);
      expect(modulus(certPem, 'x509')).toBe(modulus(creds.certPem, 'x509'));
      expect(modulus(creds.keyPem, 'rsa')).toBe(modulus(certPem, 'x509'));
    },
  );

  it.skipIf(!openssl)('reads a p12 written by openssl 3 (PBES2 AES-256, SHA-256 MAC)', () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const out = join(dir, 'openssl.p12');
    writeFileSync(cert, push.certPem);
    writeFileSync(key, push.key.pem);
    execFileSync(
      'openssl',
      ['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', out, '-passout', 'env:P'],
      {
        env: { ...process.env, P: PASS },
        stdio: 'pipe',
      },
    );
    expect(loadP12(readFileSync(out), PASS, out).certificate.keyMatches).toBe(true);
  });

  it('picks the certificate that matches the key when the WWDR intermediate comes first', () => {
    const creds = loadP12(toP12(push.key, [wwdr, push], PASS), PASS, 'aps.p12');
    expect(creds.certificate.bundleId).toBe('com.example.app');
    expect(creds.chainPem).toHaveLength(1);
  });

  it('names the file on a wrong passphrase, and never echoes it', () => {
    const error = thrown(() => loadP12(toP12(push.key, [push], PASS), 'not it', 'certs/aps.p12'));
    expect(error.message).toBe('certs/aps.p12: wrong passphrase for the .p12');
    expect(error.code).toBe('WRONG_PASSPHRASE');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('not it');
  });

  it('wrong passphrase on a legacy RC2-40 p12 too', () => {
    const error = thrown(() => loadP12(toLegacyRc2P12(push.key, [push], PASS), 'nope', 'old.p12'));
    expect(error.message).toBe('old.p12: wrong passphrase for the .p12');
  });

  it('says a passphrase is needed when none was given', () => {
    const error = thrown(() => loadP12(toP12(push.key, [push], PASS), undefined, 'aps.p12'));
    expect(error.message).toBe('aps.p12: the .p12 is passphrase-protected and none was given');
    expect(error.code).toBe('PASSPHRASE_REQUIRED');
  });

  it('opens a p12 exported with an empty password without a passphrase', () => {
    expect(loadP12(toP12(push.key, [push], ''), undefined, 'empty.p12').certificate.keyMatches).toBe(true);
  });

  it('refuses a p12 that holds no private key', () => {
    const error = thrown(() => loadP12(toP12(null, [push], PASS), PASS, 'cert-only.p12'));
    expect(error.code).toBe('NO_PRIVATE_KEY');
    expect(error.message).toMatch(
      /^cert-only\.p12: the \.p12 holds no private key: it was exported without one/,
    );
  });

  it('refuses a p12 whose key belongs to none of its certificates', () => {
    const other = createTestKey();
    const error = thrown(() => loadP12(toP12(other, [push, wwdr], PASS), PASS, 'mixed.p12'));
    expect(error.code).toBe('KEY_MISMATCH');
    expect(error.message).toBe(
      'mixed.p12: the private key does not match any of the 2 certificates (different RSA modulus): ' +
        'it belongs to another certificate',
    );
  });

  it('loads a non-push certificate (the checks refuse it later)', () => {
    const plain = createPlainCertificate();
    expect(loadP12(toP12(plain.key, [plain], PASS), PASS, 'plain.p12').certificate.isPushCertificate).toBe(
      false,
    );
  });

  it('refuses bytes that are not a p12', () => {
    expect(thrown(() => loadP12(Buffer.from('hello'), PASS, 'x.p12')).message).toMatch(/^x\.p12: /);
    const error = thrown(() => loadP12(push.der, PASS, 'aps.cer'));
    expect(error.code).toBe('UNREADABLE');
    expect(error.message).toMatch(/^aps\.cer: the \.p12 could not be read: .*PKCS#12/);
  });

  it('redacts the key when the credentials are logged or serialised', () => {
    const creds = loadP12(toP12(push.key, [push], PASS), PASS, 'aps.p12');
    expect(JSON.stringify(creds)).toContain('"keyPem":"[redacted]"');
    expect(JSON.stringify(creds)).not.toContain('PRIVATE KEY');
    expect(creds.keyPem).toContain('PRIVATE KEY');
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function modulus(pem: string, kind: 'x509' | 'rsa'): string {
  return execFileSync('openssl', [kind, '-noout', '-modulus'], { input: pem, stdio: 'pipe' })
    .toString()
    .trim();
}
