import { APPLE_PUSH_OIDS } from './apple-push-oids.js';
import type { CertificateEnvironment, CertificateInfo } from './certificate-info.js';
import type { CredentialsError } from './credentials-error.js';
import { credentialsFailure } from './credentials-failure.js';

/** The APNs environment a client connects to: production, or sandbox (the certificates' "development"). */
export type ApnsEnvironment = 'production' | 'sandbox';

/** Options of {@link checkCertificateCredentials}. */
export interface CertificateCheckOptions {
  /** The environment the credentials will connect to; the certificate must carry its OID. */
  readonly environment: ApnsEnvironment;
  /** Topics the app will push to; each must be the UID or listed in the `.3.6` extension. */
  readonly topics?: readonly string[];
  /** @defaultValue `new Date()` */
  readonly now?: Date;
}

/** Options of {@link findCertificateProblems}: every check is optional. */
export interface CertificateProblemOptions extends Partial<CertificateCheckOptions> {
  /**
   * Report a missing private key (a bare certificate cannot authenticate).
   * @defaultValue `true`
   */
  readonly requireKey?: boolean;
}

const CERTIFICATE_ENVIRONMENT: Readonly<Record<ApnsEnvironment, CertificateEnvironment>> = {
  production: 'production',
  sandbox: 'development',
};
const DAY_MS = 86_400_000;

/**
 * The load-time checks (docs/protocol/certificates.md, "Checks at load"), in order: key present, key matches,
 * not yet valid, expired, an Apple push certificate, the environment's OID, the topics.
 * @throws CredentialsError (with its `code`) for the first failing check, naming `info.source`.
 */
export function checkCertificateCredentials(info: CertificateInfo, options: CertificateCheckOptions): void {
  const [first] = findCertificateProblems(info, options);
  if (first) throw first;
}

/** Every failing check as a {@link CredentialsError}, in check order; `[]` when the certificate passes. */
export function findCertificateProblems(
  info: CertificateInfo,
  options: CertificateProblemOptions = {},
): CredentialsError[] {
  const { source } = info;
  const now = options.now ?? new Date();
  const problems: CredentialsError[] = [];
  if (!info.keyPresent && (options.requireKey ?? true)) {
    problems.push(
      credentialsFailure(
        source,
        'NO_PRIVATE_KEY',
        'holds a certificate but no private key: a PEM exported without its key (openssl pkcs12 -nokeys, ' +
          'or a bare .cer) cannot authenticate; export the certificate together with its private key',
      ),
    );
  }
  if (info.keyPresent && !info.keyMatches) {
    problems.push(
      credentialsFailure(
        source,
        'KEY_MISMATCH',
        'the private key does not match the certificate (different RSA modulus): it belongs to another certificate',
      ),
    );
  }
  if (now < info.notBefore) {
    problems.push(
      credentialsFailure(
        source,
        'NOT_YET_VALID',
        `the certificate is not valid until ${isoDate(info.notBefore)}`,
      ),
    );
  }
  if (now > info.notAfter) {
    const days = Math.floor((now.getTime() - info.notAfter.getTime()) / DAY_MS);
    problems.push(
      credentialsFailure(
        source,
        'EXPIRED',
        `the certificate expired on ${isoDate(info.notAfter)} (${days} day${days === 1 ? '' : 's'} ago); ` +
          'create a new one in the Apple Developer portal',
      ),
    );
  }
  if (!info.isPushCertificate) {
    problems.push(
      credentialsFailure(
        source,
        'NOT_PUSH_CERTIFICATE',
        `is not an Apple push certificate (${info.subject.text || 'empty subject'}): it has no APNs ` +
          `environment extension (${APPLE_PUSH_OIDS.development} development, ${APPLE_PUSH_OIDS.production} production)`,
      ),
    );
  } else if (options.environment !== undefined) {
    const wanted = CERTIFICATE_ENVIRONMENT[options.environment];
    if (!info.environments.includes(wanted)) {
      problems.push(
        credentialsFailure(
          source,
          'WRONG_ENVIRONMENT',
          `is a ${info.environments.join('/')}-only certificate but is configured for ${options.environment}` +
            ` (it lacks the ${wanted} extension ${APPLE_PUSH_OIDS[wanted]})`,
        ),
      );
    }
  }
  for (const topic of options.topics ?? []) {
    if (!info.topics.includes(topic)) {
      problems.push(
        credentialsFailure(
          source,
          'TOPIC_NOT_COVERED',
          `the certificate does not cover topic "${topic}" (it covers: ${info.topics.join(', ') || 'no topic'})`,
        ),
      );
    }
  }
  return problems;
}

function isoDate(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}
