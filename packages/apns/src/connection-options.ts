/**
 * Option checks and TLS settings shared by every client that connects to APNs or the simulator
 * (Http2Pool, LegacyClient, readFeedback). Each failed check throws naming the field.
 */
import { type ConnectionOptions, createSecureContext, rootCertificates } from 'node:tls';
import { CredentialsError } from '@pushfleet/credentials';
import { ApnsValidationError } from './errors.js';

/** Extra trusted CA certificate(s), PEM, added to the system store. */
export type ExtraCa = string | Buffer | readonly (string | Buffer)[];

/** Where a TLS service is. */
export interface TlsEndpointOptions {
  /** e.g. `gateway.sandbox.push.apple.com`, or the simulator's `127.0.0.1`. */
  readonly host: string;
  /** @defaultValue the service's port (Apple's gateway 2195, feedback service 2196) */
  readonly port?: number | undefined;
  /** TLS server name (SNI and certificate check). @defaultValue `host` unless it is an IP address */
  readonly servername?: string | undefined;
  /** Extra trusted CA certificate(s), PEM, added to the system store. @defaultValue the system store only */
  readonly ca?: ExtraCa | undefined;
}

/** A client certificate (chain) and its private key, PEM. Load a `.p12` with `loadP12` first. */
export interface ClientCertificate {
  readonly cert: string | Buffer;
  /** A secret: never logged. */
  readonly key: string | Buffer;
  /** Pass phrase of an encrypted `key`. */
  readonly passphrase?: string | undefined;
}

/** A duration in ms: `fallback` when absent, else a finite number > 0 (>= 0 with `zeroOk`). */
export function durationMs(
  field: string,
  value: number | undefined,
  fallback: number,
  zeroOk = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk)) {
    throw new ApnsValidationError(
      field,
      `must be a ${zeroOk ? 'non-negative' : 'positive'} number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

/** An integer >= `min`: `fallback` (raised to `min`) when absent. */
export function integerAtLeast(field: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return Math.max(fallback, min);
  if (!Number.isInteger(value) || value < min) {
    const want = min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new ApnsValidationError(field, `must be ${want}, got ${String(value)}`);
  }
  return value;
}

/** A TCP port: `fallback` when absent, else an integer in 1..65535. */
export function checkPort(field: string, value: number | undefined, fallback: number): number {
  const p = value ?? fallback;
  if (!Number.isInteger(p) || p < 1 || p > 65_535) {
    throw new ApnsValidationError(field, `must be an integer in 1..65535, got ${String(p)}`);
  }
  return p;
}

/** A non-empty host name or address. */
export function checkHost(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new ApnsValidationError(field, 'is required');
  return value;
}

export function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/**
 * TLS options for a connection to `host`: the system CA store plus `ca`; SNI `servername`, by default the
 * host unless it is an IP address; and the client certificate when given, its fields checked (named with
 * `prefix`, e.g. `auth.`).
 */
export function clientTls(
  host: string,
  options: Pick<TlsEndpointOptions, 'ca' | 'servername'>,
  certificate?: Partial<ClientCertificate>,
  prefix = '',
): ConnectionOptions {
  const tls: ConnectionOptions = {};
  const servername = options.servername ?? (isIpAddress(host) ? undefined : host);
  if (servername !== undefined) tls.servername = servername;
  if (options.ca !== undefined) {
    tls.ca = [
      ...rootCertificates,
      ...(Array.isArray(options.ca) ? options.ca : [options.ca as string | Buffer]),
    ];
  }
  if (certificate !== undefined) {
    const { cert, key, passphrase } = certificate;
    if (!cert || cert.length === 0) throw new CredentialsError(`${prefix}cert`, 'is required (PEM)');
    if (!key || key.length === 0) throw new CredentialsError(`${prefix}key`, 'is required (PEM)');
    tls.cert = cert;
    tls.key = key;
    if (passphrase !== undefined) tls.passphrase = passphrase;
  }
  return tls;
}

/**
 * `tls` with one SecureContext built from it, for a client to reuse on every connect: without it each connect
 * builds its own and parses the system CA store again (~140 certificates, ~0.1-0.25 s of CPU here; 5% of a
 * worker's CPU in bench:e2e with two connections, more in a reconnect storm). Options that make no context
 * (a bad PEM) come back as they are, so the connect reports the error as before.
 */
export function withSecureContext(tls: ConnectionOptions): ConnectionOptions {
  if (tls.secureContext !== undefined) return tls;
  try {
    return { ...tls, secureContext: createSecureContext(tls) };
  } catch {
    return tls;
  }
}
