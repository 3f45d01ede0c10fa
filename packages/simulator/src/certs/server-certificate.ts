/**
 * The simulator's TLS server certificate, issued by the simulator CA.
 *
 * X.509 v3, RSA 2048, SHA-256; subject `CN=<first host>`; subjectAltName with a DNS entry per host name
 * and an IP entry per address (v4 or v6); extendedKeyUsage serverAuth; keyUsage digitalSignature+keyEncipherment.
 */
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { CertificateAuthority } from './certificate-authority.js';
import {
  type CertificateAndKey,
  generateRsaKeyPair,
  newCertificate,
  signByAuthority,
  type ValidityOptions,
} from './forge-helpers.js';

export interface ServerCertificateOptions extends ValidityOptions {
  /** Host names and IP addresses the certificate is valid for. @defaultValue `['localhost', '127.0.0.1', '::1']` */
  readonly hosts?: readonly string[] | undefined;
  /** Used when `notAfter` is not given. @defaultValue 825 */
  readonly validityDays?: number | undefined;
}

export const DEFAULT_SERVER_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export function createServerCertificate(
  ca: CertificateAuthority,
  options: ServerCertificateOptions = {},
): CertificateAndKey {
  const hosts = options.hosts ?? DEFAULT_SERVER_HOSTS;
  if (hosts.length === 0) throw new TypeError('createServerCertificate: hosts must name at least one host');
  const { keyPem, publicKeyPem } = generateRsaKeyPair();
  const cert = newCertificate(publicKeyPem, options, options.validityDays ?? 825);
  cert.setSubject([
    { name: 'commonName', value: hosts[0]! },
    { name: 'organizationName', value: 'Pushfleet Simulator' },
  ]);
  const altNames = hosts.map((h) => (isIP(h) === 0 ? { type: 2, value: h } : { type: 7, ip: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
  ]);
  signByAuthority(cert, ca);
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
