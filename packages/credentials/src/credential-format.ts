import forge from 'node-forge';
import { isCertificateBlock, isPem, isPrivateKeyBlock, readPemBlocks } from './pem-blocks.js';

/**
 * What a credentials file holds, judged from its bytes (not its name):
 * - `pem-certificate`: PEM with at least one CERTIFICATE block (and maybe a key: a ck.pem);
 * - `pem-key`: PEM with key blocks only (a key file, or a token-auth `.p8`);
 * - `p12`: DER PKCS#12 (`.p12` / `.pfx`);
 * - `der-certificate`: a DER X.509 certificate (`.cer`);
 * - `unknown`: none of these.
 */
export const CREDENTIAL_FORMATS = [
  'pem-certificate',
  'pem-key',
  'p12',
  'der-certificate',
  'unknown',
] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

/** Sniff the format of a credentials file from its content. */
export function detectCredentialFormat(bytes: Buffer): CredentialFormat {
  if (isPem(bytes)) {
    const blocks = readPemBlocks(bytes);
    if (blocks.some(isCertificateBlock)) return 'pem-certificate';
    return blocks.some(isPrivateKeyBlock) ? 'pem-key' : 'unknown';
  }
  try {
    // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, … };
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, … }.
    const outer = forge.asn1.fromDer(bytes.toString('binary'), false);
    const first = Array.isArray(outer.value) ? outer.value[0] : undefined;
    if (outer.type !== forge.asn1.Type.SEQUENCE || !first) return 'unknown';
    if (first.type === forge.asn1.Type.INTEGER) return 'p12';
    if (first.type === forge.asn1.Type.SEQUENCE) return 'der-certificate';
  } catch {
    // not DER
  }
  return 'unknown';
}
