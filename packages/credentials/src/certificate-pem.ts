import { certificateToPem, readCertificates } from './certificate-reader.js';

/**
 * The first certificate of a PEM or DER (`.cer`) input, as PEM: `openssl x509 -inform der -in aps.cer` in-process.
 * @throws CredentialsError naming `source` when no certificate can be read.
 */
export function certificatePem(certPemOrDer: Buffer | string, source: string): string {
  const [cert] = readCertificates(certPemOrDer, source);
  return certificateToPem(cert!);
}
