/** Throwaway APNs test credentials: CA, server and Apple-shaped client certificates, `.p8` provider keys. */
export {
  type ApnsClientCertificate,
  type ApnsClientCertificateOptions,
  createApnsClientCertificate,
} from './apns-client-certificate.js';
export {
  APPLE_OIDS,
  CERTIFICATE_ENVIRONMENTS,
  CERTIFICATE_TOPIC_SUFFIX,
  type CertificateEnvironment,
  type CertificateTopicKind,
} from './apple-oids.js';
export {
  type CertificateAuthority,
  type CertificateAuthorityOptions,
  createCertificateAuthority,
  DEFAULT_CA_COMMON_NAME,
} from './certificate-authority.js';
export type { CertificateAndKey, ValidityOptions } from './forge-helpers.js';
export { inspectPushCertificate, type PushCertificateInfo } from './inspect-push-certificate.js';
export { createProviderKey, type ProviderKey, type ProviderKeyOptions } from './provider-key.js';
export {
  createServerCertificate,
  DEFAULT_SERVER_HOSTS,
  type ServerCertificateOptions,
} from './server-certificate.js';
export {
  type ProviderTokenSigningKey,
  type SignProviderTokenOptions,
  signProviderToken,
} from './sign-provider-token.js';
export {
  CREDENTIALS_MANIFEST,
  type TestCredentials,
  type TestCredentialsManifest,
  type TestCredentialsOptions,
  writeTestCredentials,
} from './write-test-credentials.js';
