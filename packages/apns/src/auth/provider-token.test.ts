import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { CredentialsError, loadSigningKey } from '@pushfleet/credentials';
import { describe, expect, it } from 'vitest';
import { ProviderToken, signProviderToken } from './provider-token.js';

const KEY_ID = 'ABC123DEFG';
const TEAM_ID = 'DEF123GHIJ';
const MINUTE = 60_000;

function p8(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function decode(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

describe('signProviderToken', () => {
  it('signs a compact ES256 JWS that verifies with the public key', () => {
    const key = loadSigningKey(p8(), 'test.p8');
    const jwt = signProviderToken({ key, keyId: KEY_ID, teamId: TEAM_ID, issuedAt: 1_700_000_000 });
    const [header, claims, signature, ...rest] = jwt.split('.');
    expect(rest).toEqual([]);
    expect(decode(header!)).toEqual({ alg: 'ES256', kid: KEY_ID });
    expect(decode(claims!)).toEqual({ iss: TEAM_ID, iat: 1_700_000_000 });
    expect(jwt).not.toMatch(/[=+/]/);
    const sig = Buffer.from(signature!, 'base64url');
    expect(sig).toHaveLength(64);
    const ok = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: createPublicKey(key), dsaEncoding: 'ieee-p1363' },
      sig,
    );
    expect(ok).toBe(true);
  });

  it('refuses a malformed key id or team id, naming the field', () => {
    const key = loadSigningKey(p8(), 'test.p8');
    expect(() => signProviderToken({ key, keyId: 'abc', teamId: TEAM_ID, issuedAt: 1 })).toThrow(/^keyId: /);
    expect(() => new ProviderToken({ key, keyId: KEY_ID, teamId: 'def123ghij' })).toThrow(/^teamId: /);
  });
});

describe('loadSigningKey', () => {
  it('refuses an RSA key, naming the source', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const error = catchError(() => loadSigningKey(pem, 'AuthKey_RSA.p8'));
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toMatch(/^AuthKey_RSA\.p8: .*EC P-256.*rsa/);
    expect(error.message).not.toContain('PRIVATE KEY-----\n');
  });

  it('refuses an EC key on another curve', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    expect(() => loadSigningKey(pem, 'p384.p8')).toThrow(/^p384\.p8: .*prime256v1.*secp384r1/);
  });

  it('refuses garbage and SEC1 PEM without echoing the input', () => {
    const garbage = `${'-----BEGIN PRIVATE KEY-----'}\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n`;
    const error = catchError(() => loadSigningKey(garbage, 'garbage.p8'));
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toMatch(/^garbage\.p8: /);
    expect(error.message).not.toContain('bm90IGEga2V5');
    expect(() => loadSigningKey(Buffer.from('hello'), 'hello.p8')).toThrow(/^hello\.p8: is not a PEM PKCS#8/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const sec1 = privateKey.export({ format: 'pem', type: 'sec1' });
    expect(() => loadSigningKey(sec1, 'sec1.pem')).toThrow(/^sec1\.pem: is not a PEM PKCS#8/);
  });

  it('loads a PKCS#8 P-256 key from a Buffer', () => {
    const key = loadSigningKey(Buffer.from(p8()), 'buf.p8');
    expect(key.asymmetricKeyType).toBe('ec');
  });
});

describe('ProviderToken', () => {
  function setup() {
    let now = 1_700_000_000_000;
    const token = new ProviderToken({
      key: loadSigningKey(p8(), 'test.p8'),
      keyId: KEY_ID,
      teamId: TEAM_ID,
      clock: () => now,
    });
    return { token, advance: (ms: number) => (now += ms), now: () => now };
  }

  const iat = (bearer: string) =>
    (decode(bearer.slice('bearer '.length).split('.')[1]!) as { iat: number }).iat;

  it('keeps one token for 50 minutes, then re-signs', () => {
    const { token, advance, now } = setup();
    const first = token.bearer();
    expect(first).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(iat(first)).toBe(Math.floor(now() / 1000));
    advance(49 * MINUTE);
    expect(token.bearer()).toBe(first);
    advance(1 * MINUTE);
    const second = token.bearer();
    expect(second).not.toBe(first);
    expect(iat(second)).toBe(Math.floor(now() / 1000));
    advance(MINUTE);
    expect(token.bearer()).toBe(second);
  });

  it('never mints twice within 20 minutes, even after rejections', () => {
    const { token, advance } = setup();
    const first = token.bearer();
    advance(5 * MINUTE);
    expect(token.refreshAfterRejection(first)).toBe(first);
    advance(14 * MINUTE);
    expect(token.refreshAfterRejection(first)).toBe(first);
    advance(1 * MINUTE);
    const second = token.refreshAfterRejection(first);
    expect(second).not.toBe(first);
    advance(19 * MINUTE);
    expect(token.refreshAfterRejection(second)).toBe(second);
    expect(token.bearer()).toBe(second);
  });

  it('mints once for many concurrent rejections of the same token', () => {
    const { token, advance } = setup();
    const first = token.bearer();
    advance(30 * MINUTE);
    const answers = Array.from({ length: 10 }, () => token.refreshAfterRejection(first));
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).not.toBe(first);
    expect(token.bearer()).toBe(answers[0]);
    // A late rejection of the old token after the refresh changes nothing.
    advance(25 * MINUTE);
    expect(token.refreshAfterRejection(first)).toBe(answers[0]);
  });

  it('refuses a key that is not EC P-256', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => new ProviderToken({ key: privateKey, keyId: KEY_ID, teamId: TEAM_ID })).toThrow(
      CredentialsError,
    );
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
