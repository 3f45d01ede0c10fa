/**
 * What the two legacy services (the gateway and the feedback service) share: their
 * options for place, identity and token state, the TLS service they run on, and the part of their handle
 * that says where they are and how to trust them.
 */
import type { TLSSocket } from 'node:tls';
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import type { CertificateAuthority } from '../certs/certificate-authority.js';
import { CertificateIdentityCache } from '../server/certificate-identity.js';
import { DeviceRegistry } from '../server/device-registry.js';
import { type GatewayTls, resolveGatewayTls } from './gateway-tls.js';
import { startTlsService, type TlsService } from './tls-service.js';

export interface LegacyServiceOptions {
  /** @defaultValue `'127.0.0.1'` */
  readonly host?: string | undefined;
  /** 0 picks a free port (Apple's: 2195 for the gateway, 2196 for the feedback service). @defaultValue 0 */
  readonly port?: number | undefined;
  /**
   * The environment this service is: a client certificate without its extension passes the TLS handshake
   * and is then closed at once with no error packet, as Apple's was seen to do [Seen].
   * @defaultValue `'development'`
   */
  readonly environment?: CertificateEnvironment | undefined;
  /** TLS identity. @defaultValue a CA and server certificate generated at start */
  readonly tls?: GatewayTls | undefined;
  /** Extra CAs client certificates may chain to. @defaultValue `[]` */
  readonly clientCa?: readonly string[] | undefined;
  /**
   * Token states, shared with the HTTP/2 server inside `startSimulator`: the gateway refuses dead tokens
   * (status 8), the feedback service lists them. @defaultValue a new registry
   */
  readonly devices?: DeviceRegistry | undefined;
}

export interface LegacyService extends AsyncDisposable {
  /** `tls://host:port`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly environment: CertificateEnvironment;
  /** PEM of the CA the client must trust. */
  readonly ca: string;
  /** The generated CA, key included, to sign client certificates; `undefined` when `tls` was given. */
  readonly authority: CertificateAuthority | undefined;
  readonly devices: DeviceRegistry;
  /** Stop listening and destroy every connection. Idempotent. */
  close(): Promise<void>;
}

/** What a service's connection handler needs: its environment's certificate checks and the token states. */
export interface LegacyServiceContext {
  readonly environment: CertificateEnvironment;
  readonly identities: CertificateIdentityCache;
  readonly devices: DeviceRegistry;
}

/**
 * Starts the TLS service from the shared options; `serve` gets the context first, then returns the
 * handler of each accepted socket. Returns the shared handle and the running service (for the gateway's
 * connection controls).
 */
export async function startLegacyService(
  options: LegacyServiceOptions,
  serve: (context: LegacyServiceContext) => (socket: TLSSocket) => void,
): Promise<{ readonly handle: LegacyService; readonly service: TlsService }> {
  const host = options.host ?? '127.0.0.1';
  const environment = options.environment ?? 'development';
  const tls = resolveGatewayTls(options.tls, options.clientCa, host);
  const devices = options.devices ?? new DeviceRegistry();
  const onSocket = serve({ environment, identities: new CertificateIdentityCache(environment), devices });
  const service = await startTlsService(tls.serverOptions, host, options.port ?? 0, onSocket);
  return {
    service,
    handle: {
      url: service.url,
      host,
      port: service.port,
      environment,
      ca: tls.caPem,
      authority: tls.authority,
      devices,
      close: service.close,
      [Symbol.asyncDispose]: service.close,
    },
  };
}
