/**
 * A throwaway certificate authority for the simulator: it signs the simulator's server certificate and
 * the test push client certificates, and the client trusts it instead of Apple's chain.
 *
 * X.509 v3, RSA 2048, SHA-256; basicConstraints CA:TRUE (critical), keyUsage keyCertSign+cRLSign (critical),
 * subjectKeyIdentifier. Subject `CN=<commonName>, O=Pushfleet Simulator`.
 */
import forge from 'node-forge';
import {
  type CertificateAndKey,
  generateRsaKeyPair,
  newCertificate,
  type ValidityOptions,
} from './forge-helpers.js';

/** A CA certificate and its key, PEM. Keep the key to sign more client certificates later. */
export type CertificateAuthority = CertificateAndKey;

export interface CertificateAuthorityOptions extends ValidityOptions {
  /** @defaultValue `'Pushfleet Simulator Test CA'` */
  readonly commonName?: string | undefined;
  /** Used when `notAfter` is not given. @defaultValue 3650 */
  readonly validityDays?: number | undefined;
}

export const DEFAULT_CA_COMMON_NAME = 'Pushfleet Simulator Test CA';

export function createCertificateAuthority(options: CertificateAuthorityOptions = {}): CertificateAuthority {
  const { keyPem, publicKeyPem } = generateRsaKeyPair();
  const cert = newCertificate(publicKeyPem, options, options.validityDays ?? 3650);
  const subject = [
    { name: 'commonName', value: options.commonName ?? DEFAULT_CA_COMMON_NAME },
    { name: 'organizationName', value: 'Pushfleet Simulator' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
