/**
 * `startFeedbackService`: the legacy feedback service (apns-protocol.md A.8) on a TLS port with client
 * certificates. On each connection, once the certificate passes the environment check (else: closed at
 * once, as the gateway does), it writes the list of the certificate's topic (its UID) and closes:
 *
 *   tuple  time_t seconds (4) | token length (2) | token       (encodeFeedbackTuples)
 *
 * The list is cleared once read (FeedbackList), so a second connection gets only what died since.
 */
import { encodeFeedbackTuples } from '@pushfleet/apns';
import type { Environment } from '../certs/apple-oids.js';
import type { CertificateAuthority } from '../certs/certificate-authority.js';
import { CertificateIdentityCache } from '../server/certificate-identity.js';
import { DeviceRegistry } from '../server/device-registry.js';
import { FeedbackList } from './feedback-list.js';
import { type GatewayTls, resolveGatewayTls } from './gateway-tls.js';
import { startTlsService } from './tls-service.js';

export interface FeedbackServiceOptions {
  /** @defaultValue `'127.0.0.1'` */
  readonly host?: string | undefined;
  /** 0 picks a free port (Apple's is 2196). @defaultValue 0 */
  readonly port?: number | undefined;
  /** Certificates without this environment's extension are closed at once. @defaultValue `'development'` */
  readonly environment?: Environment | undefined;
  /** @defaultValue a CA and server certificate generated at start */
  readonly tls?: GatewayTls | undefined;
  /** Extra CAs client certificates may chain to. @defaultValue `[]` */
  readonly clientCa?: readonly string[] | undefined;
  /** Where dead tokens come from (`devices.markDead`). @defaultValue a new registry */
  readonly devices?: DeviceRegistry | undefined;
}

export interface FeedbackService extends AsyncDisposable {
  /** `tls://host:port`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly environment: Environment;
  readonly ca: string;
  readonly authority: CertificateAuthority | undefined;
  readonly devices: DeviceRegistry;
  /** The per-topic lists (peek without clearing; reset to list everything again). */
  readonly list: FeedbackList;
  /** Connections served (certificate accepted). */
  readonly served: number;
  close(): Promise<void>;
}

export async function startFeedbackService(options: FeedbackServiceOptions = {}): Promise<FeedbackService> {
  const host = options.host ?? '127.0.0.1';
  const environment = options.environment ?? 'development';
  const tls = resolveGatewayTls(options.tls, options.clientCa, host);
  const devices = options.devices ?? new DeviceRegistry();
  const list = new FeedbackList(devices);
  const identities = new CertificateIdentityCache(environment);
  let served = 0;
  const service = await startTlsService(tls.serverOptions, host, options.port ?? 0, (socket) => {
    socket.on('error', () => {});
    socket.on('data', () => {}); // clients send nothing; ignore whatever comes
    const identity = identities.get(socket.getPeerX509Certificate());
    if (identity.problem !== undefined || identity.uid === undefined) {
      socket.end();
    } else {
      served++;
      socket.end(encodeFeedbackTuples(list.take(identity.uid)));
    }
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  return {
    url: service.url,
    host,
    port: service.port,
    environment,
    ca: tls.caPem,
    authority: tls.authority,
    devices,
    list,
    get served() {
      return served;
    },
    close: service.close,
    [Symbol.asyncDispose]: service.close,
  };
}
