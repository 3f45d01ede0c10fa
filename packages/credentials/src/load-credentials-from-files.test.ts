import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPushCertificate, toP12 } from './__fixtures__/apple-certificates.js';
import { rejected } from './__fixtures__/thrown.js';
import { loadCredentialsFromFiles, loadP12File, loadSigningKeyFile } from './load-credentials-from-files.js';

const dir = mkdtempSync(join(tmpdir(), 'pushfleet-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const push = createPushCertificate({ bundleId: 'com.example.files' });
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const p12 = file('aps.p12', toP12(push.key, [push], 'pw'));
const cer = file('aps.cer', push.der);
const keyFile = file('key.pem', push.key.pem);
const ck = file('ck.pem', push.certPem + push.key.pem);

describe('loadCredentialsFromFiles', () => {
  it('loads a .p12, a .cer with its key, and a ck.pem', async () => {
    expect((await loadCredentialsFromFiles({ p12, passphrase: 'pw' })).certificate.source).toBe(p12);
    expect((await loadP12File(p12, 'pw')).certificate.bundleId).toBe('com.example.files');
    const fromCer = await loadCredentialsFromFiles({ cert: cer, key: keyFile });
    expect(fromCer.certificate).toMatchObject({ source: cer, keyMatches: true });
    expect((await loadCredentialsFromFiles({ cert: ck })).certificate.keyMatches).toBe(true);
  });

  it('names the file on errors', async () => {
    const missing = join(dir, 'missing.p12');
    expect((await rejected(loadCredentialsFromFiles({ p12: missing }))).message).toBe(
      `${missing}: cannot be read: no such file`,
    );
    expect((await rejected(loadCredentialsFromFiles({ p12, passphrase: 'bad' }))).message).toBe(
      `${p12}: wrong passphrase for the .p12`,
    );
    expect((await rejected(loadCredentialsFromFiles({ cert: cer }))).code).toBe('NO_PRIVATE_KEY');
    expect((await rejected(loadCredentialsFromFiles({}))).message).toMatch(/^credentials: give a \.p12/);
    expect((await rejected(loadCredentialsFromFiles({ p12, cert: cer }))).message).toMatch(/not both/);
  });
});

describe('loadSigningKeyFile', () => {
  it('loads an EC P-256 .p8 and refuses an RSA one, naming the file', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect((await loadSigningKeyFile(file('AuthKey_ABCDE12345.p8', ec.toString()))).asymmetricKeyType).toBe(
      'ec',
    );
    const rsa = file('AuthKey_RSA.p8', push.key.pem.replace(/RSA PRIVATE KEY/g, 'PRIVATE KEY'));
    const pkcs8Rsa = file(
      'AuthKey_RSA8.p8',
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    );
    expect((await rejected(loadSigningKeyFile(pkcs8Rsa))).message).toBe(
      `${pkcs8Rsa}: must be an EC P-256 key, got rsa`,
    );
    expect((await rejected(loadSigningKeyFile(rsa))).message).toMatch(
      new RegExp(`^${rsa.replace(/[.]/g, '\\.')}: `),
    );
  });
});
