import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import {
  createPushCertificate,
  createTestAuthority,
  createTestKey,
} from './__fixtures__/apple-certificates.js';
import { thrown } from './__fixtures__/thrown.js';
import { loadPemCredentials } from './load-pem-credentials.js';

const PASS = 'pem pass phrase';
const wwdr = createTestAuthority();
const push = createPushCertificate({ issuer: wwdr, bundleId: 'com.example.pem' });
const pkcs8 = forge.pki.privateKeyInfoToPem(
  forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(push.key.key)),
);
const encryptedPkcs8 = forge.pki.encryptRsaPrivateKey(push.key.key, PASS, { algorithm: 'aes256' });
const encryptedPkcs1 = forge.pki.encryptRsaPrivateKey(push.key.key, PASS, {
  legacy: true,
  algorithm: 'aes128',
});

describe('loadPemCredentials', () => {
  it.each([
    ['PKCS#1 RSA PRIVATE KEY', push.key.pem],
    ['PKCS#8 PRIVATE KEY', pkcs8],
  ])('loads a PEM certificate with a plain %s', (_, key) => {
    const creds = loadPemCredentials(push.certPem, key, undefined, 'cert.pem', 'key.pem');
    expect(creds.certificate).toMatchObject({
      source: 'cert.pem',
      keyMatches: true,
      bundleId: 'com.example.pem',
    });
    expect(creds.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('loads a DER .cer with a PEM key', () => {
    const creds = loadPemCredentials(push.der, Buffer.from(push.key.pem), undefined, 'aps.cer', 'key.pem');
    expect(creds.certificate.keyMatches).toBe(true);
  });

  it('loads a ck.pem (certificate, intermediate and key in one file)', () => {
    const ck = wwdr.certPem + push.certPem + push.key.pem;
    const creds = loadPemCredentials(ck, undefined, undefined, 'ck.pem');
    expect(creds.certificate.bundleId).toBe('com.example.pem');
    expect(creds.chainPem).toHaveLength(1);
  });

  it.each([
    ['ENCRYPTED PRIVATE KEY (PKCS#8)', encryptedPkcs8],
    ['OpenSSL-encrypted RSA PRIVATE KEY', encryptedPkcs1],
  ])('decrypts an %s with its pass phrase, and names the key file on a wrong one', (_, key) => {
    expect(loadPemCredentials(push.certPem, key, PASS, 'cert.pem', 'key.pem').certificate.keyMatches).toBe(
      true,
    );
    const wrong = thrown(() => loadPemCredentials(push.certPem, key, 'guess', 'cert.pem', 'key.pem'));
    expect(wrong.message).toBe('key.pem: wrong passphrase for the encrypted private key');
    expect(wrong.code).toBe('WRONG_PASSPHRASE');
    const missing = thrown(() => loadPemCredentials(push.certPem, key, undefined, 'cert.pem', 'key.pem'));
    expect(missing.message).toBe('key.pem: the private key is encrypted and no passphrase was given');
  });

  it('decrypts an encrypted key inside a ck.pem', () => {
    const creds = loadPemCredentials(push.certPem + encryptedPkcs8, undefined, PASS, 'ck.pem');
    expect(creds.certificate.keyMatches).toBe(true);
  });

  it('explains the classic trap: a PEM exported without its key', () => {
    const error = thrown(() => loadPemCredentials(push.certPem, undefined, undefined, 'cert.pem'));
    expect(error.code).toBe('NO_PRIVATE_KEY');
    expect(error.message).toMatch(
      /^cert\.pem: holds a certificate but no private key: a PEM exported without its key/,
    );
  });

  it('refuses a key file with no key in it', () => {
    const error = thrown(() =>
      loadPemCredentials(push.certPem, push.certPem, undefined, 'cert.pem', 'key.pem'),
    );
    expect(error.message).toMatch(/^key\.pem: holds no private key block/);
  });

  it('refuses a key that belongs to another certificate, naming both files', () => {
    const error = thrown(() =>
      loadPemCredentials(push.certPem, createTestKey().pem, undefined, 'cert.pem', 'other-key.pem'),
    );
    expect(error.code).toBe('KEY_MISMATCH');
    expect(error.message).toBe(
      'cert.pem: the private key in other-key.pem does not match the certificate (different RSA modulus): ' +
        'it belongs to another certificate',
    );
  });

  it('refuses an EC key (a .p8 given as the certificate key)', () => {
    const { privateKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const error = thrown(() =>
      loadPemCredentials(push.certPem, privateKey, undefined, 'cert.pem', 'AuthKey.p8'),
    );
    expect(error.code).toBe('NOT_RSA');
    expect(error.message).toBe(
      "AuthKey.p8: the private key is an EC key (a token-auth .p8 signing key?); certificate authentication needs the certificate's RSA key",
    );
  });

  it('refuses two keys', () => {
    const error = thrown(() =>
      loadPemCredentials(push.certPem, push.key.pem + createTestKey().pem, undefined, 'cert.pem', 'keys.pem'),
    );
    expect(error.message).toBe("keys.pem: holds 2 private keys; keep only the push certificate's key");
  });

  it('refuses a PEM with no certificate and garbage DER', () => {
    expect(thrown(() => loadPemCredentials(push.key.pem, push.key.pem, undefined, 'k.pem')).message).toBe(
      'k.pem: holds no CERTIFICATE block',
    );
    expect(
      thrown(() => loadPemCredentials(Buffer.from([1, 2, 3]), push.key.pem, undefined, 'x.cer')).code,
    ).toBe('UNREADABLE');
  });

  it('never puts the pass phrase in a message', () => {
    const error = thrown(() => loadPemCredentials(push.certPem, encryptedPkcs8, 'hunter2-secret', 'c', 'k'));
    expect(`${error.message} ${String(error.cause ?? '')}`).not.toContain('hunter2-secret');
  });
});
