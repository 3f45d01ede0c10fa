import { createHash } from 'node:crypto';
import type forge from 'node-forge';
import { APPLE_PUSH_OIDS } from './apple-push-oids.js';
import { certificateToDer, readCertificates } from './certificate-reader.js';
import { isPem, isPrivateKeyBlock, readPemBlocks } from './pem-blocks.js';
import { keyMatchesCertificate, readPrivateKeyBlock } from './private-key-reader.js';
import { decodeAsn1String, parseTopicsExtension } from './topics-extension.js';

/** Environments a push certificate may carry (the `.3.1` and `.3.2` extensions): development = sandbox. */
export const CERTIFICATE_ENVIRONMENTS = ['development', 'production'] as const;
export type CertificateEnvironment = (typeof CERTIFICATE_ENVIRONMENTS)[number];

/** The subject fields Apple sets on a provider certificate (observed; only the UID is documented). */
export interface CertificateSubject {
  /** `CN`, e.g. `Apple Push Services: com.example.app`. */
  readonly commonName: string | undefined;
  /** `UID` (0.9.2342.19200300.100.1.1): the bundle id. */
  readonly uid: string | undefined;
  /** `OU`: the 10-character Team ID. */
  readonly teamId: string | undefined;
  /** `O`: the organisation. */
  readonly organization: string | undefined;
  /** `C`: the country. */
  readonly country: string | undefined;
  /** The whole subject as `CN=…, UID=…, OU=…, O=…, C=…`, in certificate order. */
  readonly text: string;
}

/** What a certificate says about itself, read once at load. Holds no secret: safe to log or print as JSON. */
export interface CertificateInfo {
  /** Where it came from (a file path, an app name): the subject of every error about it. */
  readonly source: string;
  readonly subject: CertificateSubject;
  /** The subject UID: the base topic, and the default when `apns-topic` is omitted. */
  readonly bundleId: string | undefined;
  /** Topics it may push to: the UID, then the `.3.6` extension's topics, without repeats. */
  readonly topics: readonly string[];
  /** Carries the `.3.6` topics extension: a universal (multi-topic) certificate, where `apns-topic` is required. */
  readonly multiTopic: boolean;
  /** From the `.3.1` (development) and `.3.2` (production) extensions; both on a universal certificate. */
  readonly environments: readonly CertificateEnvironment[];
  /** Carries at least one APNs environment extension. */
  readonly isPushCertificate: boolean;
  /** Issuer CN, e.g. `Apple Worldwide Developer Relations Certification Authority`. */
  readonly issuer: string | undefined;
  /** Serial number, lowercase hex. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Whole days from the inspection time to `notAfter`; negative once expired. */
  readonly daysLeft: number;
  /** A private key was loaded with the certificate. */
  readonly keyPresent: boolean;
  /** The key is the certificate's (same RSA modulus and exponent); `false` without a key. */
  readonly keyMatches: boolean;
  /** SHA-256 of the DER certificate, `AB:CD:…` as `openssl x509 -fingerprint -sha256` prints it. */
  readonly sha256: string;
}

/** Options of {@link inspectCertificate}. */
export interface InspectCertificateOptions {
  /**
   * Names the input in error messages and in {@link CertificateInfo.source}.
   * @defaultValue `'certificate'`
   */
  readonly source?: string;
  /** A PEM private key to test against the certificate (else one in the certificate's own PEM is used). */
  readonly keyPem?: Buffer | string;
  /** Pass phrase of an encrypted key. Never echoed. */
  readonly passphrase?: string;
  /** @defaultValue `new Date()` */
  readonly now?: Date;
}

const DAY_MS = 86_400_000;
const SHORT_NAMES: Readonly<Record<string, string>> = { [APPLE_PUSH_OIDS.uid]: 'UID' };

/**
 * Describe a certificate: PEM (the block that matches the key, else the first CERTIFICATE block) or DER `.cer`. A key, given or found in the same PEM,
 * is checked against it; a missing key is reported (`keyPresent: false`), not thrown.
 * @throws CredentialsError naming the source when the certificate or the key cannot be read.
 */
export function inspectCertificate(
  certPemOrDer: Buffer | string,
  options: InspectCertificateOptions = {},
): CertificateInfo {
  const source = options.source ?? 'certificate';
  const certificates = readCertificates(certPemOrDer, source);
  const keyText = options.keyPem ?? (isPem(certPemOrDer) ? certPemOrDer : undefined);
  const keyBlock = keyText === undefined ? undefined : readPemBlocks(keyText).find(isPrivateKeyBlock);
  const key = keyBlock && readPrivateKeyBlock(keyBlock, options.passphrase, source);
  // A bundle may list the WWDR intermediate first: the certificate of the key is the one described.
  const cert = (key && certificates.find((c) => keyMatchesCertificate(key, c))) ?? certificates[0]!;
  return describeCertificate(cert, key, source, options.now ?? new Date());
}

/** {@link CertificateInfo} of a parsed certificate and its key, if any. */
export function describeCertificate(
  cert: forge.pki.Certificate,
  key: forge.pki.rsa.PrivateKey | undefined,
  source: string,
  now: Date,
): CertificateInfo {
  const subject = describeSubject(cert.subject.attributes);
  const topicsExtension = findExtension(cert, APPLE_PUSH_OIDS.topics);
  const topics = [subject.uid, ...(topicsExtension ? parseTopicsExtension(topicsExtension) : [])].filter(
    (topic): topic is string => typeof topic === 'string' && topic.length > 0,
  );
  const environments = CERTIFICATE_ENVIRONMENTS.filter(
    (environment) => findExtension(cert, APPLE_PUSH_OIDS[environment]) !== undefined,
  );
  const notAfter = cert.validity.notAfter;
  return {
    source,
    subject,
    bundleId: subject.uid,
    topics: [...new Set(topics)],
    multiTopic: topicsExtension !== undefined,
    environments,
    isPushCertificate: environments.length > 0,
    issuer: describeSubject(cert.issuer.attributes).commonName,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.validity.notBefore,
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
    keyPresent: key !== undefined,
    keyMatches: key !== undefined && keyMatchesCertificate(key, cert),
    sha256: fingerprint(certificateToDer(cert)),
  };
}

/** `AB:CD:…` SHA-256 of DER bytes. */
export function fingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

function describeSubject(attributes: readonly forge.pki.CertificateField[]): CertificateSubject {
  const fields = attributes.map((attribute) => ({
    short:
      attribute.shortName ?? SHORT_NAMES[attribute.type ?? ''] ?? attribute.name ?? attribute.type ?? '?',
    // forge keeps the value's ASN.1 string type in `valueTagClass` (typed as a class, holding a Type).
    value: decodeAsn1String({ type: Number(attribute.valueTagClass ?? 0), value: attribute.value }),
  }));
  const field = (short: string) => fields.find((f) => f.short === short)?.value;
  return {
    commonName: field('CN'),
    uid: field('UID'),
    teamId: field('OU'),
    organization: field('O'),
    country: field('C'),
    text: fields.map((f) => `${f.short}=${f.value}`).join(', '),
  };
}

/** The raw DER value of an extension, found by OID (forge keeps unknown extensions as `{ id, value }`). */
function findExtension(cert: forge.pki.Certificate, oid: string): string | undefined {
  const extensions = cert.extensions as ReadonlyArray<{ id?: string; value?: unknown }>;
  const found = extensions.find((extension) => extension.id === oid);
  if (!found) return undefined;
  return typeof found.value === 'string' ? found.value : '';
}
