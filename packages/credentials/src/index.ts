// The public surface of @pushfleet/credentials.
export { APPLE_PUSH_OIDS } from './apple-push-oids.js';
export type { CertificateCredentials } from './certificate-credentials.js';
export {
  CERTIFICATE_ENVIRONMENTS,
  type CertificateEnvironment,
  type CertificateInfo,
  type CertificateSubject,
  type InspectCertificateOptions,
  inspectCertificate,
} from './certificate-info.js';
export { certificatePem } from './certificate-pem.js';
export {
  type ApnsEnvironment,
  type CertificateCheckOptions,
  type CertificateProblemOptions,
  checkCertificateCredentials,
  findCertificateProblems,
} from './check-certificate-credentials.js';
export { CREDENTIAL_FORMATS, type CredentialFormat, detectCredentialFormat } from './credential-format.js';
export {
  CREDENTIALS_ERROR_CODES,
  CredentialsError,
  type CredentialsErrorCode,
} from './credentials-error.js';
export { type EncodePrivateKeyOptions, encodePrivateKeyPem } from './encode-private-key.js';
export {
  type CredentialFiles,
  loadCredentialsFromFiles,
  loadP12File,
  loadSigningKeyFile,
  readCredentialFile,
} from './load-credentials-from-files.js';
export { loadP12 } from './load-p12.js';
export { loadPemCredentials } from './load-pem-credentials.js';
export { isPem } from './pem-blocks.js';
export { assertSigningKey, loadSigningKey } from './signing-key.js';
