/**
 * TLS settings shared by the legacy gateway and the feedback service: mutual TLS (the only authentication
 * Apple's binary interface had [Apple]), the client certificate must chain to the simulator CA (or
 * `clientCa`), TLS 1.2+. Without a `tls` option a CA and a server certificate for the loopback names are
 * generated, and the CA (key included) is returned so tests can sign client certificates with it.
 */
import type { TlsOptions } from 'node:tls';
import { type CertificateAuthority, createCertificateAuthority } from '../certs/certificate-authority.js';
import { createServerCertificate } from '../certs/server-certificate.js';

/** The service's TLS identity (PEM strings), as `SimulatorTls`. */
export interface GatewayTls {
  readonly cert: string;
  readonly key: string;
  /** The CA clients trust and client certificates must chain to. @defaultValue `cert` */
  readonly ca?: string | undefined;
}

export interface ResolvedGatewayTls {
  readonly serverOptions: TlsOptions;
  /** PEM of the CA the client must trust. */
  readonly caPem: string;
  /** The generated CA (sign client certificates with it); `undefined` when `tls` was given. */
  readonly authority: CertificateAuthority | undefined;
}

export function resolveGatewayTls(
  tls: GatewayTls | undefined,
  clientCa: readonly string[] | undefined,
  host: string,
): ResolvedGatewayTls {
  let cert: string;
  let key: string;
  let caPem: string;
  let authority: CertificateAuthority | undefined;
  if (tls) {
    ({ cert, key } = tls);
    caPem = tls.ca ?? tls.cert;
  } else {
    authority = createCertificateAuthority();
    const hosts = ['localhost', '127.0.0.1', '::1'];
    if (!hosts.includes(host) && host !== '0.0.0.0' && host !== '::') hosts.push(host);
    const server = createServerCertificate(authority, { hosts });
    cert = server.certPem;
    key = server.keyPem;
    caPem = authority.certPem;
  }
  return {
    serverOptions: {
      cert,
      key,
      ca: [caPem, ...(clientCa ?? [])],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    caPem,
    authority,
  };
}
