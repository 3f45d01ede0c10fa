import type forge from 'node-forge';
import { type CertificateInfo, describeCertificate } from './certificate-info.js';
import { certificateToPem } from './certificate-reader.js';
import { credentialsFailure } from './credentials-failure.js';
import { keyMatchesCertificate, privateKeyToPkcs8Pem } from './private-key-reader.js';

/**
 * A provider certificate and its private key, ready for `node:tls` / `node:http2` (`cert`, `key`).
 * `JSON.stringify` and `util.inspect` show `keyPem` as `[redacted]`; the key stays in memory only.
 */
export interface CertificateCredentials {
  /** The provider certificate, PEM. */
  readonly certPem: string;
  /** Its private key, unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). A secret: never log it. */
  readonly keyPem: string;
  /** Other certificates the input carried (e.g. the WWDR intermediate), PEM, in input order. */
  readonly chainPem: readonly string[];
  /** What the certificate says about itself (subject, topics, environments, validity, key match). */
  readonly certificate: CertificateInfo;
}

/**
 * Pair the one key with the certificate whose public key it is (a p12 or ck.pem may also hold the WWDR
 * intermediate) and build the credentials.
 * @throws CredentialsError KEY_MISMATCH when no certificate belongs to the key.
 */
export function pairCredentials(
  certificates: readonly forge.pki.Certificate[],
  key: forge.pki.rsa.PrivateKey,
  source: string,
  keySource: string = source,
  now: Date = new Date(),
): CertificateCredentials {
  const leaf = certificates.find((cert) => keyMatchesCertificate(key, cert));
  if (!leaf) {
    const what =
      certificates.length === 1 ? 'the certificate' : `any of the ${certificates.length} certificates`;
    throw credentialsFailure(
      source,
      'KEY_MISMATCH',
      `the private key${keySource === source ? '' : ` in ${keySource}`} does not match ${what} ` +
        '(different RSA modulus): it belongs to another certificate',
    );
  }
  return withRedaction({
    certPem: certificateToPem(leaf),
    keyPem: privateKeyToPkcs8Pem(key),
    chainPem: certificates.filter((cert) => cert !== leaf).map(certificateToPem),
    certificate: describeCertificate(leaf, key, source, now),
  });
}

function withRedaction(credentials: CertificateCredentials): CertificateCredentials {
  const redacted = () => ({ ...credentials, keyPem: '[redacted]' });
  Object.defineProperty(credentials, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(credentials, Symbol.for('nodejs.util.inspect.custom'), {
    value: redacted,
    enumerable: false,
  });
  return credentials;
}
