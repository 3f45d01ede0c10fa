import { createPrivateKey } from 'node:crypto';
import { credentialsFailure } from './credentials-failure.js';

/** Options of {@link encodePrivateKeyPem}. */
export interface EncodePrivateKeyOptions {
  /** Encrypt under this pass phrase (PKCS#8 PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256, as OpenSSL 3 writes it). */
  readonly passphrase?: string | undefined;
  /** Names the key in errors. @defaultValue `'private key'` */
  readonly source?: string;
}

/**
 * Re-encode an unencrypted PEM private key (e.g. {@link CertificateCredentials.keyPem}) for writing to disk:
 * `ENCRYPTED PRIVATE KEY` with a pass phrase, plain `PRIVATE KEY` without one. In-process (`node:crypto`).
 */
export function encodePrivateKeyPem(keyPem: string, options: EncodePrivateKeyOptions = {}): string {
  const source = options.source ?? 'private key';
  if (options.passphrase === '') {
    throw credentialsFailure(source, 'PASSPHRASE_REQUIRED', 'the new passphrase is empty');
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (cause) {
    throw credentialsFailure(source, 'UNREADABLE', 'is not an unencrypted PEM private key', cause);
  }
  const pem =
    options.passphrase === undefined
      ? key.export({ type: 'pkcs8', format: 'pem' })
      : key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: options.passphrase });
  return pem.toString();
}
