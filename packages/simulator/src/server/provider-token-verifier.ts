/**
 * Parse and verify a provider token (JWS compact serialization, RFC 7515; ES256, RFC 7518): the
 * time-independent checks, run once per token string per connection (the result is cached by the caller).
 *
 *   token  = b64url(header) "." b64url(claims) "." b64url(signature)
 *   header = {"alg":"ES256","kid":<10 chars>}   claims = {"iss":<team id>,"iat":<seconds>}
 *   signature = 64-byte r‖s (IEEE P1363) over the ASCII "header.claims"
 *
 * Every failure here is 403 InvalidProviderToken: not three parts, bad base64url/JSON, alg ≠ ES256,
 * unknown kid, iss ≠ the key's team, iat not an integer, signature not verifiable. The lifetime checks
 * (ExpiredProviderToken, iat in the future) depend on the clock and live in the connection's auth.
 */
import { verify } from 'node:crypto';
import type { KeyStore, RegisteredKey } from './key-store.js';

export type VerifiedToken =
  | { readonly ok: true; readonly key: RegisteredKey; readonly iatMs: number }
  | { readonly ok: false; readonly problem: string };

export function verifyProviderToken(token: string, keys: KeyStore): VerifiedToken {
  const parts = token.split('.');
  if (parts.length !== 3) return fail('not a JWS compact token (three dot-separated parts)');
  const [h, c, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (header === undefined) return fail('header is not base64url JSON');
  if (header.alg !== 'ES256') return fail('alg is not ES256');
  if (typeof header.kid !== 'string') return fail('kid missing');
  const key = keys.get(header.kid);
  if (key === undefined) return fail('unknown kid');
  const claims = decodeJson(c);
  if (claims === undefined) return fail('claims are not base64url JSON');
  if (claims.iss !== key.teamId) return fail("iss is not the key's team");
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat)) return fail('iat is not an integer');
  const signature = Buffer.from(s, 'base64url');
  if (signature.length !== 64) return fail('signature is not 64 bytes (r‖s)');
  const data = Buffer.from(`${h}.${c}`, 'latin1');
  const valid = verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!valid) return fail('signature does not verify');
  return { ok: true, key, iatMs: iat * 1000 };
}

function fail(problem: string): VerifiedToken {
  return { ok: false, problem };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
