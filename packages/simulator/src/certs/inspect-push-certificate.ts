/**
 * Read what APNs reads from a push client certificate (apns-protocol.md B.11): the subject UID (base
 * topic), the team (OU), the environment extensions (.3.1 development, .3.2 production) and the `.3.6`
 * topic list `SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, ... }`.
 *
 * Parses with node-forge (pure JS): call it once per certificate, never per request.
 */
import forge from 'node-forge';
import { APPLE_OIDS, type Environment } from './apple-oids.js';

export interface PushCertificateInfo {
  /** Subject UID: the base topic. `undefined` when the subject has none (not a push certificate). */
  readonly bundleId: string | undefined;
  /** Subject OU. */
  readonly teamId: string | undefined;
  readonly commonName: string | undefined;
  /** Environments whose extension the certificate carries. */
  readonly environments: readonly Environment[];
  /** Whether the certificate carries the `.3.6` topic list (a universal, multi-topic certificate). */
  readonly multiTopic: boolean;
  /** Every topic covered: the UID first, then the `.3.6` topics. */
  readonly topics: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Parse a certificate given as PEM text or DER bytes. Throws if it is not an RSA X.509 certificate. */
export function inspectPushCertificate(certificate: string | Uint8Array): PushCertificateInfo {
  const cert =
    typeof certificate === 'string'
      ? forge.pki.certificateFromPem(certificate)
      : forge.pki.certificateFromAsn1(forge.asn1.fromDer(Buffer.from(certificate).toString('binary')));
  const field = (type: string): string | undefined => {
    const f = cert.subject.getField({ type }) as { value?: unknown } | null;
    return typeof f?.value === 'string' ? forge.util.decodeUtf8(f.value) : undefined;
  };
  const bundleId = field(APPLE_OIDS.uid);
  const extension = (id: string) =>
    (cert.extensions as { id?: string; value?: string }[]).find((e) => e.id === id);
  const environments: Environment[] = [];
  if (extension(APPLE_OIDS.development)) environments.push('development');
  if (extension(APPLE_OIDS.production)) environments.push('production');
  const topicsExtension = extension(APPLE_OIDS.topics);
  const topics = bundleId === undefined ? [] : [bundleId];
  if (typeof topicsExtension?.value === 'string') {
    for (const topic of readTopicList(topicsExtension.value)) if (!topics.includes(topic)) topics.push(topic);
  }
  return {
    bundleId,
    teamId: field(forge.pki.oids.organizationalUnitName!),
    commonName: field(forge.pki.oids.commonName!),
    environments,
    multiTopic: topicsExtension !== undefined,
    topics,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}

/** The topics (UTF8String items) of a `.3.6` value; the kind SEQUENCEs between them are skipped. */
function readTopicList(der: string): string[] {
  const root = forge.asn1.fromDer(der);
  if (!Array.isArray(root.value)) return [];
  const topics: string[] = [];
  for (const item of root.value) {
    if (item.type === forge.asn1.Type.UTF8 && typeof item.value === 'string') {
      topics.push(forge.util.decodeUtf8(item.value));
    }
  }
  return topics;
}
