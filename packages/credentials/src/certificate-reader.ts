import forge from 'node-forge';
import { credentialsFailure } from './credentials-failure.js';
import { isCertificateBlock, isPem, normalizePem, readPemBlocks } from './pem-blocks.js';

const { asn1, pki } = forge;

/**
 * Every certificate in PEM text (all `CERTIFICATE` blocks, in order) or the one certificate of a DER `.cer`.
 * @throws CredentialsError naming `source`: NO_CERTIFICATE, NOT_RSA or UNREADABLE.
 */
export function readCertificates(input: Buffer | string, source: string): forge.pki.Certificate[] {
  if (!isPem(input)) {
    const der = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
    return [certificateFromDer(der.toString('binary'), source)];
  }
  const certificates = readPemBlocks(input)
    .filter(isCertificateBlock)
    .map((block) => certificateFromDer(block.body, source));
  if (certificates.length === 0) {
    throw credentialsFailure(source, 'NO_CERTIFICATE', 'holds no CERTIFICATE block');
  }
  return certificates;
}

/** Parse one DER certificate (a forge binary string). */
export function certificateFromDer(der: string, source: string): forge.pki.Certificate {
  let parsed: forge.asn1.Asn1;
  try {
    parsed = asn1.fromDer(der);
  } catch (cause) {
    throw credentialsFailure(source, 'UNREADABLE', 'is neither PEM nor a DER certificate', cause);
  }
  return certificateFromAsn1(parsed, source);
}

export function certificateFromAsn1(parsed: forge.asn1.Asn1, source: string): forge.pki.Certificate {
  try {
    return pki.certificateFromAsn1(parsed);
  } catch (cause) {
    if (cause instanceof Error && /OID is not RSA/.test(cause.message)) {
      throw credentialsFailure(
        source,
        'NOT_RSA',
        "the certificate's public key is not RSA; APNs provider certificates are RSA",
        cause,
      );
    }
    throw credentialsFailure(source, 'UNREADABLE', 'is not a valid X.509 certificate', cause);
  }
}

/** The certificate as PEM with `\n` line ends. */
export function certificateToPem(cert: forge.pki.Certificate): string {
  return normalizePem(pki.certificateToPem(cert));
}

/** The certificate's DER bytes. */
export function certificateToDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(asn1.toDer(pki.certificateToAsn1(cert)).getBytes(), 'binary');
}
