/**
 * Options of `startSimulator`, every field optional, with the defaults exported as `DEFAULT_SIMULATOR_OPTIONS`.
 * Behaviour Apple leaves unspecified is tagged [Ours] here and in the README, and is configurable.
 */
import type { Reason } from '@pushfleet/apns';
import type { BroadcastOptions } from '../broadcast/broadcast-options.js';
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import type { FaultConfig } from './fault-injector.js';
import type { KeyStore, SimulatorKey } from './key-store.js';
import type { RecordMode } from './recorder.js';

/** The simulator's TLS identity (PEM strings). */
export interface SimulatorTls {
  /** Server certificate (chain) PEM. */
  readonly cert: string;
  /** Server private key PEM. */
  readonly key: string;
  /** The CA clients must trust; also the CA client certificates must chain to. @defaultValue `cert` */
  readonly ca?: string | undefined;
}

export interface SimulatorOptions {
  /** Address to listen on. @defaultValue `'127.0.0.1'` */
  readonly host?: string | undefined;
  /** Port of the token-auth endpoint; 0 picks a free port. @defaultValue 0 */
  readonly port?: number | undefined;
  /** Port of the certificate-auth (mutual TLS) endpoint; 0 picks a free port; `null` disables it. @defaultValue 0 */
  readonly certificatePort?: number | null | undefined;
  /** Port of the legacy binary gateway (mutual TLS); 0 picks a free port; `null` = off. @defaultValue null */
  readonly legacyPort?: number | null | undefined;
  /** Port of the legacy feedback service (mutual TLS); 0 picks a free port; `null` = off. @defaultValue null */
  readonly feedbackPort?: number | null | undefined;
  /**
   * Port of the channel-management API (TLS + HTTP/2; Apple: 2195 sandbox, 2196 production, on other hosts than
   * the legacy gateway); 0 picks a free port; `null` = off. [Ours: its own listener] @defaultValue 0
   */
  readonly managementPort?: number | null | undefined;
  /** Switches of the broadcast and channel-management routes where Apple leaves facts unconfirmed. @defaultValue see `DEFAULT_BROADCAST_OPTIONS` */
  readonly broadcast?: BroadcastOptions | undefined;
  /** Which APNs environment this is: decides the certificate and key environment checks. @defaultValue `'development'` */
  readonly environment?: CertificateEnvironment | undefined;
  /** TLS identity. @defaultValue a CA and server certificate generated at start (see `Simulator.credentials`) */
  readonly tls?: SimulatorTls | undefined;
  /** Extra CA certificates (PEM) client certificates may chain to, besides the simulator's CA. @defaultValue `[]` */
  readonly clientCa?: readonly string[] | undefined;
  /** Provider-token signing keys accepted on the token endpoint. @defaultValue `[]` */
  readonly keys?: readonly SimulatorKey[] | undefined;
  /**
   * Bundle ids accepted on token connections (a topic is a bundle id plus a push-type suffix): a list for
   * every team, or a record per team id (teams not in it get 400 BadTopic). [Ours]
   * @defaultValue any topic
   */
  readonly topics?: readonly string[] | Readonly<Record<string, readonly string[]>> | undefined;
  /** Topics (or bundle ids) answered 400 TopicDisallowed. @defaultValue `[]` */
  readonly disallowedTopics?: readonly string[] | undefined;
  /** SETTINGS_MAX_CONCURRENT_STREAMS once a connection is authenticated (Apple has been seen at 1000). @defaultValue 1000 */
  readonly maxConcurrentStreams?: number | undefined;
  /** [Seen 2016] Lower the stream limit to 1 after a rejected notification, back after an accepted one. @defaultValue false */
  readonly dropStreamsAfterRejection?: boolean | undefined;
  /** [Ours] GOAWAY `{"reason":"IdleTimeout"}` after this many ms without activity; 0 = never. @defaultValue 0 */
  readonly idleTimeoutMs?: number | undefined;
  /** A provider token older than this is 403 ExpiredProviderToken. @defaultValue 3_600_000 (one hour, Apple's) */
  readonly providerTokenMaxAgeMs?: number | undefined;
  /** [Ours] How far in the future `iat` may be before 403 InvalidProviderToken. @defaultValue 60_000 */
  readonly clockSkewMs?: number | undefined;
  /** A new token on a connection sooner than this after the previous new one is 429. @defaultValue 1_200_000 (20 min) */
  readonly tokenUpdateIntervalMs?: number | undefined;
  /** [Ours] Reason for a body that is not a JSON dictionary with an `aps` dictionary. @defaultValue `'PayloadEmpty'` */
  readonly invalidPayloadReason?: Reason | undefined;
  /** `all` keeps every accepted/rejected request; `counters` only counts; `ids` counts and keeps how many times each apns-id was accepted (`recorder.acceptedIds`). @defaultValue `'all'` */
  readonly record?: RecordMode | undefined;
  /** Records kept per list in `all` mode (oldest dropped first). @defaultValue 100_000 */
  readonly recordLimit?: number | undefined;
  /** [Apple] Send `apns-unique-id` on 200 answers in the development environment. @defaultValue true */
  readonly uniqueIdHeader?: boolean | undefined;
  /** After `close()`, how long in-flight streams may take before connections are destroyed. @defaultValue 2000 */
  readonly closeTimeoutMs?: number | undefined;
  /** The clock, ms since the epoch (tests move it to expire tokens). @defaultValue `Date.now` */
  readonly now?: (() => number) | undefined;
  /** Fault injection from the start (latency, 429/500/503, GOAWAY, resets, flow control...); see `sim.faults`. @defaultValue none */
  readonly faults?: FaultConfig | undefined;
}

export const DEFAULT_SIMULATOR_OPTIONS = {
  host: '127.0.0.1',
  port: 0,
  certificatePort: 0,
  managementPort: 0,
  environment: 'development',
  maxConcurrentStreams: 1000,
  dropStreamsAfterRejection: false,
  idleTimeoutMs: 0,
  providerTokenMaxAgeMs: 3_600_000,
  clockSkewMs: 60_000,
  tokenUpdateIntervalMs: 1_200_000,
  invalidPayloadReason: 'PayloadEmpty',
  record: 'all',
  recordLimit: 100_000,
  uniqueIdHeader: true,
  closeTimeoutMs: 2000,
} as const satisfies SimulatorOptions;

/** Key registry exposed on the running simulator. */
export type SimulatorKeys = Pick<KeyStore, 'add' | 'remove' | 'list'>;
