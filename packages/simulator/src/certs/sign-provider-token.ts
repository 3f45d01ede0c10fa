/**
 * Sign an APNs provider token (docs/protocol/http2-provider-api.md, "Provider tokens"), for tests and demos
 * against the simulator.
 *
 *   b64url({"alg":"ES256","kid":"<keyId>"}) . b64url({"iss":"<teamId>","iat":<seconds>}) . b64url(r‖s)
 *
 * The signature is the 64-byte IEEE P1363 form, not DER. `header` and `claims` overrides exist to build
 * broken tokens on purpose; production providers use @pushfleet/apns.
 */
import { sign } from 'node:crypto';

export interface ProviderTokenSigningKey {
  readonly keyId: string;
  readonly teamId: string;
  readonly privateKeyPem: string;
}

export interface SignProviderTokenOptions {
  /** `iat`, UNIX seconds. @defaultValue now */
  readonly issuedAt?: number | undefined;
  /** Merged over `{ alg: 'ES256', kid }`. */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  /** Merged over `{ iss, iat }`. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

export function signProviderToken(
  key: ProviderTokenSigningKey,
  options: SignProviderTokenOptions = {},
): string {
  const header = { alg: 'ES256', kid: key.keyId, ...options.header };
  const claims = {
    iss: key.teamId,
    iat: options.issuedAt ?? Math.floor(Date.now() / 1000),
    ...options.claims,
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: key.privateKeyPem,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}
