/**
 * A throwaway token-auth signing key, shaped like the `.p8` Apple issues:
 * EC P-256, PKCS#8 PEM `-----BEGIN PRIVATE KEY-----`, with a 10-character Key ID and Team ID.
 */
import { generateKeyPairSync, randomInt } from 'node:crypto';

export interface ProviderKey {
  /** 10 characters, A-Z and 0-9. */
  readonly keyId: string;
  /** 10 characters, A-Z and 0-9. */
  readonly teamId: string;
  /** PKCS#8 PEM, what an `AuthKey_<keyId>.p8` file holds. */
  readonly privateKeyPem: string;
  /** SPKI PEM: what the simulator needs to verify tokens. */
  readonly publicKeyPem: string;
}

export interface ProviderKeyOptions {
  /** @defaultValue 10 random characters */
  readonly keyId?: string | undefined;
  /** @defaultValue 10 random characters */
  readonly teamId?: string | undefined;
}

const ID_PATTERN = /^[A-Z0-9]{10}$/;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function createProviderKey(options: ProviderKeyOptions = {}): ProviderKey {
  const keyId = options.keyId ?? randomId();
  const teamId = options.teamId ?? randomId();
  if (!ID_PATTERN.test(keyId))
    throw new TypeError(`createProviderKey: keyId must be 10 characters A-Z0-9, got "${keyId}"`);
  if (!ID_PATTERN.test(teamId)) {
    throw new TypeError(`createProviderKey: teamId must be 10 characters A-Z0-9, got "${teamId}"`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyId, teamId, privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function randomId(): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}
