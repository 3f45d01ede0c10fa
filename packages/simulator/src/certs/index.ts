/** Throwaway APNs test credentials: CA, server and Apple-shaped client certificates, `.p8` provider keys. */
export * from './apns-client-certificate.js';
export * from './apple-oids.js';
export * from './certificate-authority.js';
export type { CertificateAndKey, ValidityOptions } from './forge-helpers.js';
export * from './inspect-push-certificate.js';
export * from './provider-key.js';
export * from './server-certificate.js';
export * from './sign-provider-token.js';
export * from './write-test-credentials.js';
