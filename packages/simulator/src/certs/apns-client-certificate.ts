/**
 * A push client certificate shaped like Apple's (docs/protocol/certificates.md), issued by the simulator CA.
 *
 *   subject     UID=<bundle id>, CN=Apple Push Services: <bundle id>, OU=<team id>, O=<organisation>, C=<country>
 *               (single-topic: CN=Apple Development|Production IOS Push Services: <bundle id>)
 *   extensions  basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical),
 *               extendedKeyUsage clientAuth,
 *               1.2.840.113635.100.6.3.1 = NULL   if 'development' is among the environments
 *               1.2.840.113635.100.6.3.2 = NULL   if 'production' is among the environments
 *               1.2.840.113635.100.6.3.6 = SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, ... }
 *                                           (multi-topic certificates only: base/app, .voip, .complication, extras)
 *   exports     PEM certificate, PEM key (PKCS#8), and a PKCS#12 (3DES, SHA-1 MAC) holding key + cert + CA cert
 */
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import {
  APPLE_OIDS,
  CERTIFICATE_TOPIC_SUFFIX,
  type CertificateEnvironment,
  type CertificateTopicKind,
} from './apple-oids.js';
import type { CertificateAuthority } from './certificate-authority.js';
import {
  type CertificateAndKey,
  generateRsaKeyPair,
  newCertificate,
  signByAuthority,
  utf8Attribute,
  type ValidityOptions,
} from './forge-helpers.js';

export interface ApnsClientCertificateOptions extends ValidityOptions {
  /** The app's bundle id: the subject UID and the base topic. */
  readonly bundleId: string;
  /** The 10-character Team ID: the subject OU. */
  readonly teamId: string;
  /** Environments the certificate may connect to. @defaultValue `['development', 'production']` (universal) */
  readonly environments?: readonly CertificateEnvironment[] | undefined;
  /**
   * Extra topics for the `.3.6` list, after the base, `.voip` and `.complication` topics. The kind is read
   * from the suffix (`.voip` → voip, `.complication` → complication, else app). @defaultValue `[]`
   */
  readonly topics?: readonly string[] | undefined;
  /** `false` leaves out the `.3.6` topic list: an old single-topic certificate (topic = UID). @defaultValue `true` */
  readonly multiTopic?: boolean | undefined;
  /** @defaultValue `'Pushfleet Simulator'` */
  readonly organization?: string | undefined;
  /** @defaultValue `'US'` */
  readonly country?: string | undefined;
  /** Passphrase of the `.p12`. @defaultValue 16 random characters */
  readonly passphrase?: string | undefined;
  /** Used when `notAfter` is not given. @defaultValue 365 */
  readonly validityDays?: number | undefined;
}

export interface ApnsClientCertificate extends CertificateAndKey {
  /** PKCS#12 (key, certificate and the CA certificate), encrypted with `passphrase` (3DES). */
  readonly p12: Buffer;
  readonly passphrase: string;
  readonly bundleId: string;
  readonly teamId: string;
  readonly environments: readonly CertificateEnvironment[];
  /** Every topic the certificate covers: the UID first, then the `.3.6` topics. */
  readonly topics: readonly string[];
}

export function createApnsClientCertificate(
  ca: CertificateAuthority,
  options: ApnsClientCertificateOptions,
): ApnsClientCertificate {
  const { bundleId, teamId } = options;
  if (bundleId.length === 0) throw new TypeError('createApnsClientCertificate: bundleId is empty');
  const environments = options.environments ?? (['development', 'production'] as const);
  const multiTopic = options.multiTopic ?? true;
  const pairs = multiTopic ? topicPairs(bundleId, options.topics ?? []) : [];

  const { keyPem, publicKeyPem } = generateRsaKeyPair();
  const cert = newCertificate(publicKeyPem, options, options.validityDays ?? 365);
  cert.setSubject([
    utf8Attribute(APPLE_OIDS.uid, bundleId),
    utf8Attribute(forge.pki.oids.commonName!, `${commonNamePrefix(multiTopic, environments)}: ${bundleId}`),
    utf8Attribute(forge.pki.oids.organizationalUnitName!, teamId),
    utf8Attribute(forge.pki.oids.organizationName!, options.organization ?? 'Pushfleet Simulator'),
    { name: 'countryName', value: options.country ?? 'US' },
  ]);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
  ];
  for (const env of environments) extensions.push({ id: APPLE_OIDS[env], value: asn1Null() });
  if (multiTopic) extensions.push({ id: APPLE_OIDS.topics, value: topicsAsn1(pairs) });
  cert.setExtensions(extensions);
  signByAuthority(cert, ca);

  const passphrase = options.passphrase ?? randomBytes(12).toString('base64url');
  const p12Asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    [cert, forge.pki.certificateFromPem(ca.certPem)],
    passphrase,
    { algorithm: '3des', friendlyName: `Apple Push Services: ${bundleId}`, generateLocalKeyId: true },
  );
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem,
    p12: Buffer.from(forge.asn1.toDer(p12Asn1).getBytes(), 'binary'),
    passphrase,
    bundleId,
    teamId,
    environments: [...environments],
    topics: [bundleId, ...pairs.map(([topic]) => topic).filter((t) => t !== bundleId)],
  };
}

function commonNamePrefix(multiTopic: boolean, environments: readonly CertificateEnvironment[]): string {
  if (multiTopic || environments.length !== 1) return 'Apple Push Services';
  return environments[0] === 'production'
    ? 'Apple Production IOS Push Services'
    : 'Apple Development IOS Push Services';
}

function topicPairs(bundleId: string, extra: readonly string[]): [string, CertificateTopicKind][] {
  const pairs: [string, CertificateTopicKind][] = [
    [bundleId, 'app'],
    [`${bundleId}${CERTIFICATE_TOPIC_SUFFIX.voip}`, 'voip'],
    [`${bundleId}${CERTIFICATE_TOPIC_SUFFIX.complication}`, 'complication'],
  ];
  for (const topic of extra) {
    if (pairs.some(([t]) => t === topic)) continue;
    const kind: CertificateTopicKind = topic.endsWith(CERTIFICATE_TOPIC_SUFFIX.voip)
      ? 'voip'
      : topic.endsWith(CERTIFICATE_TOPIC_SUFFIX.complication)
        ? 'complication'
        : 'app';
    pairs.push([topic, kind]);
  }
  return pairs;
}

function asn1Null(): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.NULL, false, '');
}

function utf8(s: string): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.UTF8, false, forge.util.encodeUtf8(s));
}

/** SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, ... } */
function topicsAsn1(pairs: readonly [string, CertificateTopicKind][]): forge.asn1.Asn1 {
  const items: forge.asn1.Asn1[] = [];
  for (const [topic, kind] of pairs) {
    items.push(utf8(topic));
    items.push(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [utf8(kind)]));
  }
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, items);
}
