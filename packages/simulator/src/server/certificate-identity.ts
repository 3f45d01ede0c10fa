/**
 * What a certificate connection is allowed to do, read once from the client certificate
 * (docs/protocol/certificates.md; simulator rules [Ours]):
 *
 *   no subject UID, or neither environment extension      → 403 BadCertificate (not an Apple push certificate)
 *   lacks the extension of the simulator's environment    → 403 BadCertificateEnvironment
 *   topics                                                → the UID plus the `.3.6` list
 *
 * The TLS layer already refused certificates not issued by the trusted CA, or out of their validity.
 */
import type { X509Certificate } from 'node:crypto';
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import { inspectPushCertificate } from '../certs/inspect-push-certificate.js';

export interface CertificateIdentity {
  readonly problem: 'BadCertificate' | 'BadCertificateEnvironment' | undefined;
  /** Subject UID: the default topic of a single-topic certificate. */
  readonly uid: string | undefined;
  readonly teamId: string | undefined;
  readonly multiTopic: boolean;
  readonly topics: ReadonlySet<string>;
}

const BAD: CertificateIdentity = {
  problem: 'BadCertificate',
  uid: undefined,
  teamId: undefined,
  multiTopic: false,
  topics: new Set(),
};

export function certificateIdentity(
  cert: X509Certificate | undefined,
  environment: CertificateEnvironment,
): CertificateIdentity {
  if (cert === undefined) return BAD;
  let info: ReturnType<typeof inspectPushCertificate>;
  try {
    info = inspectPushCertificate(cert.raw);
  } catch {
    return BAD; // e.g. a non-RSA key: Apple issues RSA push certificates only
  }
  if (info.bundleId === undefined || info.environments.length === 0) return BAD;
  return {
    problem: info.environments.includes(environment) ? undefined : 'BadCertificateEnvironment',
    uid: info.bundleId,
    teamId: info.teamId,
    multiTopic: info.multiTopic,
    topics: new Set(info.topics),
  };
}

/** Identities by certificate fingerprint: forge parses each distinct certificate once per simulator. */
export class CertificateIdentityCache {
  readonly #byFingerprint = new Map<string, CertificateIdentity>();

  constructor(readonly environment: CertificateEnvironment) {}

  get(cert: X509Certificate | undefined): CertificateIdentity {
    if (cert === undefined) return BAD;
    let identity = this.#byFingerprint.get(cert.fingerprint256);
    if (identity === undefined) {
      identity = certificateIdentity(cert, this.environment);
      if (this.#byFingerprint.size >= 1024) this.#byFingerprint.clear();
      this.#byFingerprint.set(cert.fingerprint256, identity);
    }
    return identity;
  }
}
