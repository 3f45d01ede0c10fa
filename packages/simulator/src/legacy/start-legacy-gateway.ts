/**
 * `startLegacyGateway`: the legacy binary notification gateway (apns-protocol.md A) on a TLS port with
 * client certificates. What each connection does is in legacy-gateway-connection.ts; everything a test
 * needs hangs off the returned object: the recorder (what arrived, what was answered), the device registry
 * (token state, shared with the HTTP/2 server inside `startSimulator`), and the faults.
 */
import type { Environment } from '../certs/apple-oids.js';
import type { CertificateAuthority } from '../certs/certificate-authority.js';
import { CertificateIdentityCache } from '../server/certificate-identity.js';
import { DeviceRegistry } from '../server/device-registry.js';
import { resolveGatewayTls } from './gateway-tls.js';
import { type LegacyGatewayContext, serveLegacyConnection } from './legacy-gateway-connection.js';
import {
  checkFaults,
  DEFAULT_LEGACY_GATEWAY_OPTIONS as D,
  type LegacyFaults,
  type LegacyGatewayOptions,
} from './legacy-gateway-options.js';
import { LegacyRecorder } from './legacy-recorder.js';
import { startTlsService } from './tls-service.js';

export interface LegacyGateway extends AsyncDisposable {
  /** `tls://host:port`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly environment: Environment;
  /** PEM of the CA the client must trust. */
  readonly ca: string;
  /** The generated CA, key included, to sign client certificates; `undefined` when `tls` was given. */
  readonly authority: CertificateAuthority | undefined;
  readonly devices: DeviceRegistry;
  readonly recorder: LegacyRecorder;
  /** The faults in force. */
  readonly faults: LegacyFaults;
  /** Change faults on the running gateway (from the next notification on). */
  configure(faults: Partial<LegacyFaults>): void;
  /** Connections open now. */
  readonly connectionCount: number;
  /** Drop every open connection at once, with no error packet (a network failure); keeps listening. */
  dropConnections(): void;
  /** Stop listening and destroy every connection. Idempotent. */
  close(): Promise<void>;
}

export async function startLegacyGateway(options: LegacyGatewayOptions = {}): Promise<LegacyGateway> {
  const host = options.host ?? D.host;
  const environment = options.environment ?? D.environment;
  const tls = resolveGatewayTls(options.tls, options.clientCa, host);
  checkFaults(options.faults ?? {});
  let faults: LegacyFaults = {
    rejectEvery: options.faults?.rejectEvery ?? D.rejectEvery,
    shutdownAfter: options.faults?.shutdownAfter ?? D.shutdownAfter,
    rejectStatus: options.faults?.rejectStatus ?? D.rejectStatus,
  };
  const devices = options.devices ?? new DeviceRegistry();
  const recorder = new LegacyRecorder(options.record ?? D.record, options.recordLimit ?? D.recordLimit);
  let frameCount = 0;
  const context: LegacyGatewayContext = {
    environment,
    identities: new CertificateIdentityCache(environment),
    devices,
    recorder,
    maxPayloadBytes: options.maxPayloadBytes ?? D.maxPayloadBytes,
    lingerMs: options.lingerMs ?? D.lingerMs,
    now: options.now ?? Date.now,
    faults: () => faults,
    countFrame: () => ++frameCount,
  };

  let nextConnectionId = 1;
  const service = await startTlsService(tls.serverOptions, host, options.port ?? D.port, (socket) =>
    serveLegacyConnection(socket, nextConnectionId++, context),
  );
  return {
    url: service.url,
    host,
    port: service.port,
    environment,
    ca: tls.caPem,
    authority: tls.authority,
    devices,
    recorder,
    get faults() {
      return faults;
    },
    configure(patch) {
      checkFaults(patch);
      faults = { ...faults, ...patch };
    },
    get connectionCount() {
      return service.connectionCount;
    },
    dropConnections: service.dropConnections,
    close: service.close,
    [Symbol.asyncDispose]: service.close,
  };
}
