/**
 * The small pieces every certificate builder shares: an RSA key pair from node:crypto (forge's pure-JS
 * key generation is far too slow), a positive random serial number, and the validity window.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A certificate and its private key, both PEM (the key is PKCS#8, `BEGIN PRIVATE KEY`). */
export interface CertificateAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The validity window of a generated certificate. */
export interface ValidityOptions {
  /** @defaultValue one hour ago (tolerates clock skew between processes) */
  readonly notBefore?: Date | undefined;
  /** @defaultValue `notBefore` + `validityDays` */
  readonly notAfter?: Date | undefined;
}

export const DEFAULT_RSA_BITS = 2048;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface RsaKeyPair {
  readonly keyPem: string;
  readonly publicKeyPem: string;
}

export function generateRsaKeyPair(bits = DEFAULT_RSA_BITS): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

/** 16 random bytes as hex, high bit cleared so the DER INTEGER stays positive, never zero. */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** Build a certificate skeleton: key, serial and validity set; subject, issuer, extensions left to the caller. */
export function newCertificate(
  publicKeyPem: string,
  validity: ValidityOptions,
  validityDays: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialNumber();
  const notBefore = validity.notBefore ?? new Date(Date.now() - HOUR_MS);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = validity.notAfter ?? new Date(notBefore.getTime() + validityDays * DAY_MS);
  return cert;
}

/** Sign `cert` as issued by `ca` (SHA-256 with RSA) and set the issuer and authority key id. */
export function signByAuthority(cert: forge.pki.Certificate, ca: CertificateAndKey): void {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  cert.setIssuer(caCert.subject.attributes);
  const caKeyId = caCert.generateSubjectKeyIdentifier().getBytes();
  cert.setExtensions([...cert.extensions, { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId }]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

/** A forge subject attribute encoded as UTF8String (as Apple's certificates do). */
export function utf8Attribute(type: string, value: string): forge.pki.CertificateField {
  return { type, value, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class };
}
