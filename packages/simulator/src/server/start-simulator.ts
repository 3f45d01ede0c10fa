/**
 * `startSimulator`: a running APNs HTTP/2 server (docs/protocol/http2-provider-api.md) on two TLS endpoints:
 *
 *   url              https://host:port              token auth: `authorization: bearer <JWT>` per request
 *   certificateUrl   https://host:certificatePort   certificate auth: mutual TLS, client certificate
 *                                                   issued by the simulator CA (or `clientCa`)
 *
 * Apple serves both on one port; the simulator splits them [Ours] so each connection's mode is known
 * before its first request. ALPN h2 only, TLS 1.2+. Everything a test needs hangs off the returned object:
 * devices (token state), rules and faults (forced answers), recorder (what arrived), keys.
 */
import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer, type SecureServerOptions } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Reason } from '@pushfleet/apns';
import { resolveBroadcastOptions } from '../broadcast/broadcast-options.js';
import { BroadcastRecorder } from '../broadcast/broadcast-recorder.js';
import { BroadcastRuleBook } from '../broadcast/broadcast-rules.js';
import { BroadcastService } from '../broadcast/broadcast-service.js';
import { ChannelStore } from '../broadcast/channel-store.js';
import { type ManagementServer, startManagementServer } from '../broadcast/start-management-server.js';
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import { type CertificateAuthority, createCertificateAuthority } from '../certs/certificate-authority.js';
import type { CertificateAndKey } from '../certs/forge-helpers.js';
import { createServerCertificate } from '../certs/server-certificate.js';
import type { FeedbackService } from '../legacy/start-feedback-service.js';
import type { LegacyGateway } from '../legacy/start-legacy-gateway.js';
import { startLegacyServices } from '../legacy/start-legacy-services.js';
import { CertificateIdentityCache } from './certificate-identity.js';
import { DeviceRegistry } from './device-registry.js';
import { FaultInjector } from './fault-injector.js';
import { KeyStore } from './key-store.js';
import { Recorder } from './recorder.js';
import { RequestValidator } from './request-validator.js';
import { RuleBook } from './rule-book.js';
import { type ConnectionContext, SimulatorConnection } from './simulator-connection.js';
import {
  DEFAULT_SIMULATOR_OPTIONS as D,
  type SimulatorKeys,
  type SimulatorOptions,
} from './simulator-options.js';
import { TokenConnectionAuth } from './token-connection-auth.js';

/** The simulator's TLS material. */
export interface SimulatorCredentials {
  /** True when the simulator generated its CA and server certificate (no `tls` option). */
  readonly generated: boolean;
  /** The generated CA, key included (sign client certificates with it); `undefined` when `tls` was given. */
  readonly ca: CertificateAuthority | undefined;
  /** The server certificate and key in use. */
  readonly server: CertificateAndKey;
}

export interface Simulator extends AsyncDisposable {
  /** Token-auth endpoint, e.g. `https://127.0.0.1:43121`. */
  readonly url: string;
  /** Certificate-auth endpoint; `undefined` when `certificatePort: null`. */
  readonly certificateUrl: string | undefined;
  readonly port: number;
  readonly certificatePort: number | undefined;
  readonly environment: CertificateEnvironment;
  /** PEM of the CA the client must trust. */
  readonly ca: string;
  readonly credentials: SimulatorCredentials;
  readonly devices: DeviceRegistry;
  readonly rules: RuleBook;
  readonly faults: FaultInjector;
  readonly recorder: Recorder;
  readonly keys: SimulatorKeys;
  /** Channel-management endpoint (its own port); `undefined` when `managementPort: null`. */
  readonly managementUrl: string | undefined;
  readonly managementPort: number | undefined;
  /** Broadcast state: channels per bundle id, Broadcast Capability switches, stored messages. */
  readonly channels: ChannelStore;
  /** Accepted broadcasts (with channel id, ids, lint warnings) and rejections on both broadcast routes. */
  readonly broadcasts: BroadcastRecorder;
  /** Forced answers on the broadcast and management routes (429, 500, 503, any reason of the table). */
  readonly broadcastRules: BroadcastRuleBook;
  /** Connections open now. */
  readonly connectionCount: number;
  /** Legacy binary gateway endpoint, `tls://host:port`; `undefined` unless `legacyPort` was given. */
  readonly legacyUrl: string | undefined;
  readonly legacyPort: number | undefined;
  /** Legacy feedback service port; `undefined` unless `feedbackPort` was given. */
  readonly feedbackPort: number | undefined;
  /** The legacy gateway (its recorder, faults); shares `devices` with the HTTP/2 server. */
  readonly legacy: LegacyGateway | undefined;
  /** The legacy feedback service (lists of tokens marked dead, per certificate topic). */
  readonly feedback: FeedbackService | undefined;
  /** GOAWAY every open connection with `{"reason": reason}` and close it gracefully; the server keeps listening. */
  goAway(reason?: Reason): void;
  /** GOAWAY `{"reason":"Shutdown"}` to every connection, let open streams finish, stop listening. Idempotent. */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? D.host;
  const environment = options.environment ?? D.environment;
  const maxStreams = options.maxConcurrentStreams ?? D.maxConcurrentStreams;
  const now = options.now ?? Date.now;
  const credentials = resolveCredentials(options, host);
  const caPem = options.tls ? (options.tls.ca ?? options.tls.cert) : credentials.ca!.certPem;

  const keys = new KeyStore(options.keys);
  const devices = new DeviceRegistry();
  const rules = new RuleBook();
  const faults = new FaultInjector(options.faults);
  const recorder = new Recorder(options.record ?? D.record, options.recordLimit ?? D.recordLimit);
  const validator = new RequestValidator({
    environment,
    teamTopics: teamTopicsOf(options.topics),
    disallowedTopics: new Set(options.disallowedTopics ?? []),
    invalidPayloadReason: options.invalidPayloadReason ?? D.invalidPayloadReason,
    devices,
    rules,
    faults,
  });
  const broadcastSettings = resolveBroadcastOptions(options.broadcast);
  const channels = new ChannelStore(broadcastSettings.channelLimit);
  for (const bundleId of broadcastSettings.capabilityOff) channels.disableCapability(bundleId);
  // Broadcasts have no per-id counting mode: 'ids' keeps their counters only.
  const recordMode = options.record ?? D.record;
  const broadcastMode = recordMode === 'ids' ? 'counters' : recordMode;
  const broadcasts = new BroadcastRecorder(broadcastMode, options.recordLimit ?? D.recordLimit);
  const broadcastRules = new BroadcastRuleBook();
  const broadcast = new BroadcastService({
    settings: broadcastSettings,
    channels,
    rules: broadcastRules,
    faults,
    recorder: broadcasts,
    auth: { settings: broadcastSettings, teamTopics: teamTopicsOf(options.topics) },
  });
  const context: ConnectionContext = {
    broadcast,
    validator,
    recorder,
    now,
    maxStreams,
    dropStreamsAfterRejection: options.dropStreamsAfterRejection ?? D.dropStreamsAfterRejection,
    idleTimeoutMs: options.idleTimeoutMs ?? D.idleTimeoutMs,
    uniqueIdHeader: (options.uniqueIdHeader ?? D.uniqueIdHeader) && environment === 'development',
    faults,
  };
  const tokenAuthConfig = {
    keys,
    environment,
    maxAgeMs: options.providerTokenMaxAgeMs ?? D.providerTokenMaxAgeMs,
    clockSkewMs: options.clockSkewMs ?? D.clockSkewMs,
    updateIntervalMs: options.tokenUpdateIntervalMs ?? D.tokenUpdateIntervalMs,
    onTokenAccepted: (token: string) => recorder.onProviderTokenAccepted(token),
  };

  const connections = new Set<SimulatorConnection>();
  let nextConnectionId = 1;
  const track = (connection: SimulatorConnection) => {
    connections.add(connection);
    connection.session.once('close', () => connections.delete(connection));
  };

  const base: SecureServerOptions = {
    cert: credentials.server.certPem,
    key: credentials.server.keyPem,
    allowHTTP1: false,
    minVersion: 'TLSv1.2',
    maxSessionMemory: 64,
  };
  // Unacknowledged SETTINGS allowed before node refuses more (dropStreamsAfterRejection toggles often);
  // a real node:http2 option that @types/node does not list.
  Object.assign(base, { maxOutstandingSettings: 100 });
  // Apple's SETTINGS as seen in 2021, except the stream limit: a token connection allows one stream until its
  // first valid JWT [Apple], a certificate connection `maxConcurrentStreams` from the start.
  const settings = {
    headerTableSize: 4096,
    initialWindowSize: 65_535,
    maxFrameSize: 16_384,
    maxHeaderListSize: 8000,
  };

  const tokenServer = createSecureServer({ ...base, settings: { ...settings, maxConcurrentStreams: 1 } });
  tokenServer.on('session', (session) => {
    const auth = new TokenConnectionAuth(tokenAuthConfig);
    track(new SimulatorConnection(nextConnectionId++, session, { kind: 'token', auth }, context));
  });

  let certificateServer: Http2SecureServer | undefined;
  const certificatePortOption =
    options.certificatePort === undefined ? D.certificatePort : options.certificatePort;
  if (certificatePortOption !== null) {
    const identities = new CertificateIdentityCache(environment);
    certificateServer = createSecureServer({
      ...base,
      ca: [caPem, ...(options.clientCa ?? [])],
      requestCert: true,
      rejectUnauthorized: true,
      settings: { ...settings, maxConcurrentStreams: maxStreams },
    });
    certificateServer.on('session', (session) => {
      const peer = (session.socket as TLSSocket).getPeerX509Certificate();
      const identity = identities.get(peer);
      track(new SimulatorConnection(nextConnectionId++, session, { kind: 'certificate', identity }, context));
    });
  }

  const servers = [tokenServer, ...(certificateServer ? [certificateServer] : [])];
  // The raw sockets: a destroyed session can leave its socket half-closed, waiting for a client that is
  // itself waiting on a stream it never reads; close() destroys those after `closeTimeoutMs`.
  const sockets = new Set<Duplex>();
  for (const server of servers) {
    server.on('sessionError', () => {});
    server.on('tlsClientError', () => {});
    faults.attach(server);
    server.on('secureConnection', (socket: Duplex) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  }
  let legacyServices: Awaited<ReturnType<typeof startLegacyServices>> | undefined;
  let management: ManagementServer | undefined;
  try {
    const port = await listen(tokenServer, options.port ?? D.port, host);
    const certificatePort = certificateServer
      ? await listen(certificateServer, certificatePortOption ?? 0, host)
      : undefined;
    const managementPortOption =
      options.managementPort === undefined ? D.managementPort : options.managementPort;
    if (managementPortOption !== null) {
      management = await startManagementServer({
        host,
        port: managementPortOption,
        cert: credentials.server.certPem,
        key: credentials.server.keyPem,
        ca: [caPem, ...(options.clientCa ?? [])],
        tokenAuth: tokenAuthConfig,
        identities: new CertificateIdentityCache(environment),
        service: broadcast,
        now,
      });
    }
    const managementServer = management;
    legacyServices = await startLegacyServices({
      host,
      legacyPort: options.legacyPort,
      feedbackPort: options.feedbackPort,
      environment,
      tls: { cert: credentials.server.certPem, key: credentials.server.keyPem, ca: caPem },
      clientCa: options.clientCa,
      devices,
      now,
    });
    const legacy = legacyServices;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        const legacyClosed = Promise.all([legacy.close(), managementServer?.close()]);
        // Our GOAWAY first: from Node 24 a server's close() sends its own, without the reason, to every session.
        for (const c of connections) c.goAway('Shutdown');
        const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
        const timeoutMs = options.closeTimeoutMs ?? D.closeTimeoutMs;
        const timer = setTimeout(() => {
          for (const c of connections) c.destroy();
          for (const socket of sockets) socket.destroy();
        }, timeoutMs);
        await Promise.all([...closed, legacyClosed]);
        clearTimeout(timer);
      })());
    return {
      url: urlOf(host, port),
      certificateUrl: certificatePort === undefined ? undefined : urlOf(host, certificatePort),
      port,
      certificatePort,
      environment,
      ca: caPem,
      credentials,
      devices,
      rules,
      faults,
      recorder,
      keys,
      managementUrl: managementServer === undefined ? undefined : urlOf(host, managementServer.port),
      managementPort: managementServer?.port,
      channels,
      broadcasts,
      broadcastRules,
      get connectionCount() {
        return connections.size;
      },
      legacyUrl: legacy.legacy?.url,
      legacyPort: legacy.legacy?.port,
      feedbackPort: legacy.feedback?.port,
      legacy: legacy.legacy,
      feedback: legacy.feedback,
      goAway(reason: Reason = 'Shutdown') {
        for (const c of connections) c.goAway(reason);
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    for (const server of servers) server.close();
    await legacyServices?.close();
    await management?.close();
    throw error;
  }
}

function resolveCredentials(options: SimulatorOptions, host: string): SimulatorCredentials {
  if (options.tls) {
    return {
      generated: false,
      ca: undefined,
      server: { certPem: options.tls.cert, keyPem: options.tls.key },
    };
  }
  const ca = createCertificateAuthority();
  const hosts = ['localhost', '127.0.0.1', '::1'];
  if (!hosts.includes(host) && host !== '0.0.0.0' && host !== '::') hosts.push(host);
  return { generated: true, ca, server: createServerCertificate(ca, { hosts }) };
}

function teamTopicsOf(
  topics: SimulatorOptions['topics'],
): ((teamId: string) => ReadonlySet<string> | undefined) | undefined {
  if (topics === undefined) return undefined;
  if (Array.isArray(topics)) {
    const all = new Set<string>(topics);
    return () => all;
  }
  const byTeam = new Map<string, ReadonlySet<string>>();
  for (const [team, list] of Object.entries(topics as Readonly<Record<string, readonly string[]>>)) {
    byTeam.set(team, new Set(list));
  }
  return (teamId) => byTeam.get(teamId);
}

async function listen(server: Http2SecureServer, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function urlOf(host: string, port: number): string {
  return host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
}
