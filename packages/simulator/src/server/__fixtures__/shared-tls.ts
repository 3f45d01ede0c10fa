/** One CA and server certificate per test file: RSA key generation is the slow part of starting a simulator. */
import { createCertificateAuthority } from '../../certs/certificate-authority.js';
import { createServerCertificate } from '../../certs/server-certificate.js';

export const CA = createCertificateAuthority();
export const SERVER = createServerCertificate(CA);
export const TLS = { cert: SERVER.certPem, key: SERVER.keyPem, ca: CA.certPem } as const;
