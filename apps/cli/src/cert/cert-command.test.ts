import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPemCredentials } from '@pushfleet/credentials';
import {
  createApnsClientCertificate,
  createCertificateAuthority,
  createProviderKey,
} from '@pushfleet/simulator/certificates';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CERT_USAGE, runCertCommand } from './index.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'pushfleet-cert-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ca = createCertificateAuthority({
  commonName: 'Apple Worldwide Developer Relations Certification Authority',
});
const client = createApnsClientCertificate(ca, {
  bundleId: 'com.example.cli',
  teamId: 'ABCDE12345',
  passphrase: 'p12-secret',
});
const dev = createApnsClientCertificate(ca, {
  bundleId: 'com.example.dev',
  teamId: 'ABCDE12345',
  environments: ['development'],
  multiTopic: false,
});
const expired = createApnsClientCertificate(ca, {
  bundleId: 'com.example.old',
  teamId: 'ABCDE12345',
  notBefore: new Date('2020-01-01T00:00:00Z'),
  notAfter: new Date('2021-01-01T00:00:00Z'),
});
const env = { P12_PASS: 'p12-secret', NEW_PASS: 'new-secret', WRONG: 'nope' };

let dir: string;
let n = 0;
beforeEach(() => {
  dir = join(root, `case-${++n}`);
  mkdirSync(dir, { recursive: true });
});
const put = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCertCommand(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
  });
  return { code, stdout, stderr };
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { env: { ...process.env, ...env }, input, stdio: 'pipe' }).toString();
}

describe('pushfleet cert inspect', () => {
  it('--json prints one object: subject, bundle id, topics, environments, validity, key', async () => {
    const p12 = put('aps.p12', client.p12);
    const { code, stdout } = await run('inspect', p12, '--passphrase-env', 'P12_PASS', '--json');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      file: p12,
      format: 'p12',
      kind: 'certificate',
      bundleId: 'com.example.cli',
      subject: {
        commonName: 'Apple Push Services: com.example.cli',
        uid: 'com.example.cli',
        teamId: 'ABCDE12345',
      },
      topics: ['com.example.cli', 'com.example.cli.voip', 'com.example.cli.complication'],
      environments: ['development', 'production'],
      isPushCertificate: true,
      issuer: 'Apple Worldwide Developer Relations Certification Authority',
      keyPresent: true,
      keyMatches: true,
      sha256: new X509Certificate(client.certPem).fingerprint256,
      problems: [],
    });
    expect(report.daysLeft).toBeGreaterThan(360);
    expect(new Date(report.notAfter).getTime()).toBe(
      new Date(new X509Certificate(client.certPem).validTo).getTime(),
    );
    expect(stdout).not.toContain('PRIVATE KEY');
  });

  it('prints a readable summary of a DER .cer without its key', async () => {
    const cer = put('aps.cer', new X509Certificate(dev.certPem).raw);
    const { code, stdout } = await run('inspect', cer);
    expect(code).toBe(0);
    expect(stdout).toContain(`file:         ${cer} (der-certificate)`);
    expect(stdout).toContain('bundle id:    com.example.dev');
    expect(stdout).toContain('environments: development\n');
    expect(stdout).toContain('private key:  not in this file');
    expect(stdout).toContain('problems:     none');
  });

  it('checks a --key and the requested environment and topics', async () => {
    const cert = put('cert.pem', dev.certPem);
    const key = put('key.pem', dev.keyPem);
    const ok = await run(
      'inspect',
      cert,
      '--key',
      key,
      '--environment',
      'sandbox',
      '--topic',
      'com.example.dev',
    );
    expect(ok.stdout).toContain('private key:  present, matches the certificate');
    expect(ok.code).toBe(0);
    const bad = await run(
      'inspect',
      cert,
      '--key',
      key,
      '--environment',
      'production',
      '--topic',
      'com.x',
      '--json',
    );
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).problems.map((p: { code: string }) => p.code)).toEqual([
      'WRONG_ENVIRONMENT',
      'TOPIC_NOT_COVERED',
    ]);
  });

  it('reports an expired certificate and a key that does not match', async () => {
    const ck = put('ck.pem', expired.certPem + client.keyPem);
    const { code, stdout } = await run('inspect', ck);
    expect(code).toBe(1);
    expect(stdout).toContain('private key:  present, DOES NOT match the certificate');
    expect(stdout).toContain(`  - ${ck}: the certificate expired on 2021-01-01T00:00:00Z`);
  });

  it('names the file on a wrong passphrase, in text and in JSON', async () => {
    const p12 = put('aps.p12', client.p12);
    const text = await run('inspect', p12, '--passphrase-env', 'WRONG');
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(`pushfleet cert inspect: ${p12}: wrong passphrase for the .p12\n`);
    const json = await run('inspect', p12, '--passphrase-env', 'WRONG', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      file: p12,
      error: { code: 'WRONG_PASSPHRASE', message: `${p12}: wrong passphrase for the .p12` },
    });
  });

  it('recognises a .p8 signing key, and refuses one that is not EC P-256', async () => {
    const key = createProviderKey({ keyId: 'KEY1234567' });
    const p8 = put('AuthKey_KEY1234567.p8', key.privateKeyPem);
    const { code, stdout } = await run('inspect', p8, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      kind: 'signing-key',
      keyType: 'EC P-256',
      keyId: 'KEY1234567',
    });
    const rsa = put('AuthKey_RSA.p8', client.keyPem);
    const bad = await run('inspect', rsa);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`pushfleet cert inspect: ${rsa}: must be an EC P-256 key, got rsa\n`);
  });

  it('refuses pass phrases on the command line without echoing them', async () => {
    const { code, stderr } = await run('inspect', 'aps.p12', '--passphrase', 'hunter2');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^pushfleet cert: --passphrase: pass phrases are read only from the environment/);
    expect(stderr).not.toContain('hunter2');
    expect((await run('inspect', 'aps.p12', '--passphrase-env', 'UNSET_VAR')).stderr).toMatch(
      /environment variable UNSET_VAR is not set/,
    );
  });

  it('prints usage on a bad command line', async () => {
    expect(await run('frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining(CERT_USAGE) });
    expect((await run('inspect')).stderr).toMatch(/^pushfleet cert: inspect: FILE is missing/);
    expect((await run('help')).stdout).toBe(CERT_USAGE);
  });
});

describe('pushfleet cert convert', () => {
  it('.p12 -> certificate, encrypted key and combined PEM, mode 0600, loading back', async () => {
    const p12 = put('aps.p12', client.p12);
    const [cert, key, ck] = ['cert.pem', 'key.pem', 'ck.pem'].map((f) => join(dir, f)) as [
      string,
      string,
      string,
    ];
    const result = await run(
      'convert',
      p12,
      '--passphrase-env',
      'P12_PASS',
      '--out-cert',
      cert,
      '--out-key',
      key,
      '--combined',
      ck,
      '--new-passphrase-env',
      'NEW_PASS',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      `wrote ${key} (private key encrypted with the new pass phrase, mode 0600)`,
    );
    for (const file of [cert, key, ck]) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['aps.p12', 'cert.pem', 'ck.pem', 'key.pem']);
    const keyPem = readFileSync(key, 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(keyPem).not.toContain('new-secret');
    const back = loadPemCredentials(readFileSync(cert), keyPem, 'new-secret', cert, key);
    expect(back.certificate).toMatchObject({ bundleId: 'com.example.cli', keyMatches: true });
    expect(back.certPem).toBe(new X509Certificate(client.certPem).toString());
    expect(loadPemCredentials(readFileSync(ck), undefined, 'new-secret', ck).certificate.keyMatches).toBe(
      true,
    );
    expect(() => loadPemCredentials(readFileSync(ck), undefined, 'wrong', ck)).toThrow(/wrong passphrase/);
  });

  it.skipIf(!hasOpenssl)('agrees with openssl on the same .p12: modulus and fingerprint', async () => {
    const p12 = put('aps.p12', client.p12);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run(
      'convert',
      p12,
      '--passphrase-env',
      'P12_PASS',
      '--out-cert',
      cert,
      '--out-key',
      key,
      '--new-passphrase-env',
      'NEW_PASS',
    );
    const theirs = openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', 'env:P12_PASS']);
    const modulus = openssl(['x509', '-noout', '-modulus'], theirs);
    expect(openssl(['x509', '-noout', '-modulus', '-in', cert])).toBe(modulus);
    expect(openssl(['rsa', '-noout', '-modulus', '-in', key, '-passin', 'env:NEW_PASS'])).toBe(modulus);
    const fingerprint = (pem: string) => openssl(['x509', '-noout', '-fingerprint', '-sha256'], pem);
    expect(fingerprint(readFileSync(cert, 'utf8'))).toBe(fingerprint(theirs));
  });

  it.skipIf(!hasOpenssl)('converts a legacy RC2-40 .p12 that openssl 3 reads only with -legacy', async () => {
    const pemIn = put('in.pem', client.certPem + client.keyPem);
    const legacy = join(dir, 'legacy.p12');
    openssl(['pkcs12', '-export', '-legacy', '-in', pemIn, '-out', legacy, '-passout', 'env:P12_PASS']);
    const plain = ['pkcs12', '-in', legacy, '-clcerts', '-nokeys', '-passin', 'env:P12_PASS'];
    expect(() => openssl(plain)).toThrow();
    const theirs = openssl([...plain, '-legacy']);
    const cert = join(dir, 'cert.pem');
    const ck = join(dir, 'ck.pem');
    const result = await run(
      'convert',
      legacy,
      '--passphrase-env',
      'P12_PASS',
      '--out-cert',
      cert,
      '--combined',
      ck,
      '--no-encrypt',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('UNENCRYPTED private key');
    const modulus = openssl(['x509', '-noout', '-modulus'], theirs);
    expect(openssl(['x509', '-noout', '-modulus', '-in', cert])).toBe(modulus);
    expect(openssl(['rsa', '-noout', '-modulus', '-in', ck])).toBe(modulus);
  });

  it('DER .cer -> PEM, as openssl x509 -inform der writes it', async () => {
    const der = new X509Certificate(client.certPem).raw;
    const cer = put('aps.cer', der);
    const out = join(dir, 'aps.pem');
    expect((await run('convert', cer, '--out-cert', out)).code).toBe(0);
    const expected = hasOpenssl
      ? openssl(['x509', '-inform', 'der', '-in', cer])
      : new X509Certificate(der).toString();
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });

  it('refuses to write an unencrypted key unless --no-encrypt is given', async () => {
    const ck = put('ck.pem', client.certPem + client.keyPem);
    const key = join(dir, 'key.pem');
    const refused = await run('convert', ck, '--out-key', key);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /refusing to write an unencrypted private key; give --new-passphrase-env VAR, or --no-encrypt/,
    );
    expect(readdirSync(dir)).toEqual(['ck.pem']);
    expect((await run('convert', ck, '--out-key', key, '--no-encrypt')).code).toBe(0);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('never overwrites without --force, and writes all outputs or none', async () => {
    const ck = put('ck.pem', client.certPem + client.keyPem);
    const cert = join(dir, 'cert.pem');
    const key = put('key.pem', 'keep me');
    const args = ['convert', ck, '--out-cert', cert, '--out-key', key, '--no-encrypt'];
    const refused = await run(...args);
    expect(refused).toMatchObject({
      code: 1,
      stderr: `pushfleet cert convert: ${key}: exists; pass --force to replace it\n`,
    });
    expect(readFileSync(key, 'utf8')).toBe('keep me');
    expect(readdirSync(dir).sort()).toEqual(['ck.pem', 'key.pem']);
    expect((await run(...args, '--force')).code).toBe(0);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
  });

  it('writes nothing when the input is wrong', async () => {
    const p12 = put('aps.p12', client.p12);
    const out = join(dir, 'cert.pem');
    const wrong = await run('convert', p12, '--passphrase-env', 'WRONG', '--out-cert', out);
    expect(wrong).toMatchObject({
      code: 1,
      stderr: `pushfleet cert convert: ${p12}: wrong passphrase for the .p12\n`,
    });
    const cer = put('cert-only.pem', client.certPem);
    const noKey = await run(
      'convert',
      cer,
      '--out-cert',
      out,
      '--combined',
      join(dir, 'ck.pem'),
      '--no-encrypt',
    );
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toBe(
      `pushfleet cert convert: ${cer}: cannot write --out-key or --combined: it holds no private key\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['aps.p12', 'cert-only.pem']);
  });

  it('warns about an expired certificate but still converts it', async () => {
    const ck = put('ck.pem', expired.certPem + expired.keyPem);
    const result = await run('convert', ck, '--out-cert', join(dir, 'cert.pem'));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^warning: ${ck}: the certificate expired on 2021-01-01T00:00:00Z`),
    );
  });
});
