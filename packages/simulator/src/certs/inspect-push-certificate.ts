/**
 * Read what APNs reads from a push client certificate (docs/protocol/certificates.md): the subject UID (base
 * topic), the team (OU), the environment extensions (.3.1 development, .3.2 production) and the `.3.6`
 * topic list `SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind }, ... }`.
 *
 * Parses with node-forge (pure JS): call it once per certificate, never per request (the server caches it).
 */
import { inspectCertificate } from '@pushfleet/credentials';
import type { CertificateEnvironment } from './apple-oids.js';

export interface PushCertificateInfo {
  /** Subject UID: the base topic. `undefined` when the subject has none (not a push certificate). */
  readonly bundleId: string | undefined;
  /** Subject OU. */
  readonly teamId: string | undefined;
  readonly commonName: string | undefined;
  /** Environments whose extension the certificate carries. */
  readonly environments: readonly CertificateEnvironment[];
  /** Whether the certificate carries the `.3.6` topic list (a universal, multi-topic certificate). */
  readonly multiTopic: boolean;
  /** Every topic covered: the UID first, then the `.3.6` topics. */
  readonly topics: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Parse a certificate given as PEM text or DER bytes, with the provider's own reader (`inspectCertificate`
 * from @pushfleet/apns), so the simulator judges a certificate exactly as the fleet loads it.
 * Throws if it is not an RSA X.509 certificate.
 */
export function inspectPushCertificate(certificate: string | Uint8Array): PushCertificateInfo {
  const info = inspectCertificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate));
  return {
    bundleId: info.bundleId,
    teamId: info.subject.teamId,
    commonName: info.subject.commonName,
    environments: info.environments,
    multiTopic: info.multiTopic,
    topics: info.topics,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  };
}
