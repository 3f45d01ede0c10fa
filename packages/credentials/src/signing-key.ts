import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CredentialsError } from './credentials-error.js';

const PKCS8_HEADER = '-----BEGIN PRIVATE KEY-----';

/**
 * Load a `.p8` signing key. `source` names where it came from (a file path, an app name) for the error message;
 * the key itself never appears in one.
 * @throws CredentialsError naming `source` when the text is not a PEM PKCS#8 EC P-256 private key.
 */
export function loadSigningKey(pem: string | Buffer, source: string): KeyObject {
  const text = typeof pem === 'string' ? pem : pem.toString('utf8');
  if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new CredentialsError(source, 'the .p8 key is encrypted; Apple issues .p8 keys unencrypted');
  }
  if (!text.includes(PKCS8_HEADER)) {
    throw new CredentialsError(
      source,
      `is not a PEM PKCS#8 private key (a .p8 file starts with ${PKCS8_HEADER})`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (cause) {
    throw new CredentialsError(source, 'the PEM PKCS#8 private key could not be parsed', { cause });
  }
  assertSigningKey(key, source);
  return key;
}

/** @throws CredentialsError naming `source` unless `key` is an EC P-256 private key (what ES256 signs with). */
export function assertSigningKey(key: KeyObject, source: string): void {
  if (key.type !== 'private') {
    throw new CredentialsError(source, `must be a private key, got a ${key.type} key`);
  }
  if (key.asymmetricKeyType !== 'ec') {
    throw new CredentialsError(source, `must be an EC P-256 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve !== 'prime256v1') {
    throw new CredentialsError(
      source,
      `must be an EC P-256 (prime256v1) key, got curve ${curve ?? 'unknown'}`,
    );
  }
}
