import { type CertificateCredentials, pairCredentials } from './certificate-credentials.js';
import { readCertificates } from './certificate-reader.js';
import { credentialsFailure } from './credentials-failure.js';
import { isPem, isPrivateKeyBlock, readPemBlocks } from './pem-blocks.js';
import { readPrivateKeyBlock } from './private-key-reader.js';

/**
 * Load a certificate (PEM, or a DER `.cer`) and its PEM private key: `RSA PRIVATE KEY` (plain or
 * OpenSSL-encrypted), `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY`. With `keyPem` undefined the key is looked for in
 * the certificate's own PEM (the "ck.pem" of `cat cert.pem key.pem`). Where the PEM holds several certificates
 * (the WWDR intermediate too), the one that matches the key is the provider certificate.
 * @param source names the certificate file in errors; `keySource` the key file (defaults to `source`).
 * @throws CredentialsError: NO_PRIVATE_KEY (a PEM exported without its key), MULTIPLE_PRIVATE_KEYS,
 *   PASSPHRASE_REQUIRED, WRONG_PASSPHRASE, KEY_MISMATCH, NO_CERTIFICATE, NOT_RSA or UNREADABLE.
 */
export function loadPemCredentials(
  certPemOrDer: Buffer | string,
  keyPem: Buffer | string | undefined,
  passphrase: string | undefined,
  source: string,
  keySource: string = source,
): CertificateCredentials {
  const certificates = readCertificates(certPemOrDer, source);
  const keyText = keyPem ?? (isPem(certPemOrDer) ? certPemOrDer : undefined);
  const keyOrigin = keyPem === undefined ? source : keySource;
  const keyBlocks = keyText === undefined ? [] : readPemBlocks(keyText).filter(isPrivateKeyBlock);
  if (keyBlocks.length === 0) {
    throw credentialsFailure(
      keyOrigin,
      'NO_PRIVATE_KEY',
      keyPem === undefined
        ? 'holds a certificate but no private key: a PEM exported without its key (openssl pkcs12 -nokeys, ' +
            'or a bare .cer) cannot authenticate; give the key file too, or export the certificate with its key'
        : 'holds no private key block (RSA PRIVATE KEY, PRIVATE KEY or ENCRYPTED PRIVATE KEY)',
    );
  }
  if (keyBlocks.length > 1) {
    throw credentialsFailure(
      keyOrigin,
      'MULTIPLE_PRIVATE_KEYS',
      `holds ${keyBlocks.length} private keys; keep only the push certificate's key`,
    );
  }
  const key = readPrivateKeyBlock(keyBlocks[0]!, passphrase, keyOrigin);
  return pairCredentials(certificates, key, source, keyOrigin);
}
