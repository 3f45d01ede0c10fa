/**
 * Options of {@link LegacyClient}, every default exported as a constant. The protocol behind them:
 * docs/protocol/legacy-binary.md.
 */
import type { ClientCertificate, TlsEndpointOptions, TransportListener } from '@pushfleet/apns';

/**
 * Milliseconds after a batch was handed to the kernel with no error response before its notifications
 * count as delivered. Apple's error packet has been seen up to ~200 ms after the write at thousands of
 * notifications per second [Seen]; 500 ms is 2.5 times that, short enough that a worker holding a
 * few hundred notifications in flight still moves thousands per second. Raise it on slow links.
 */
export const DEFAULT_DELIVERY_WINDOW_MS = 500;
/**
 * Notifications held per connection awaiting their delivery window (the resend buffer). It bounds the
 * rate of one connection to `resendBufferSize / deliveryWindowMs` (200,000/s with the defaults): when it is
 * full, sends wait in the queue, so nothing is ever counted delivered before its window has passed. At 25,000
 * the ring was what held a legacy worker to ~50,000/s in bench:e2e (75,000: ~78,000/s; 100,000: 75,000-90,000/s,
 * where the worker's held budget binds instead); its arrays cost ~1.6 MB per connection.
 */
export const DEFAULT_LEGACY_RESEND_BUFFER_SIZE = 100_000;
/**
 * A fresh connection is trusted only if the gateway keeps it open this long: a certificate for the other
 * environment passes the TLS handshake and is then closed with no error packet [Seen].
 */
export const DEFAULT_CONNECT_GRACE_MS = 100;
/** Time to establish TCP + TLS before the attempt counts as failed. */
export const DEFAULT_LEGACY_CONNECT_TIMEOUT_MS = 10_000;
/** Consecutive failed connection attempts after which the queued notifications fail with CONNECT_FAILED. */
export const DEFAULT_MAX_CONNECT_ATTEMPTS = 3;
/** First step and ceiling of the reconnect backoff after a failed attempt (exponential, with jitter). */
export const DEFAULT_LEGACY_RECONNECT_BASE_DELAY_MS = 100;
export const DEFAULT_LEGACY_RECONNECT_MAX_DELAY_MS = 5_000;
/**
 * Times a notification is re-sent after its connection closed with no error packet, or after a shutdown
 * (status 10) that did not cover it, before it fails with a TransportError. Re-sends after an error packet
 * that named another notification are not counted: each such packet settles at least one notification.
 */
export const MAX_LEGACY_UNCONFIRMED_RESENDS = 3;

/** Where the gateway is (`port` defaults to 2195) and the app's certificate, then the client's tuning. */
export interface LegacyClientOptions extends TlsEndpointOptions, ClientCertificate {
  /** @defaultValue {@link DEFAULT_DELIVERY_WINDOW_MS} (500 ms) */
  readonly deliveryWindowMs?: number | undefined;
  /** @defaultValue {@link DEFAULT_LEGACY_RESEND_BUFFER_SIZE} (100,000) */
  readonly resendBufferSize?: number | undefined;
  /** Payload limit: 2048 (iOS 8+), 4096 (VoIP certificates), 256 (before iOS 8). @defaultValue 2048 */
  readonly maxPayloadBytes?: number | undefined;
  /** @defaultValue {@link DEFAULT_CONNECT_GRACE_MS} (100 ms) */
  readonly connectGraceMs?: number | undefined;
  /** @defaultValue {@link DEFAULT_LEGACY_CONNECT_TIMEOUT_MS} (10 s) */
  readonly connectTimeoutMs?: number | undefined;
  /** @defaultValue {@link DEFAULT_MAX_CONNECT_ATTEMPTS} (3) */
  readonly maxConnectAttempts?: number | undefined;
  /** @defaultValue {@link DEFAULT_LEGACY_RECONNECT_MAX_DELAY_MS} (5 s) */
  readonly reconnectMaxDelayMs?: number | undefined;
  /** Hot-path hooks (verdicts, transport errors, connections). @defaultValue `NOOP_LISTENER` */
  readonly listener?: TransportListener | undefined;
}

/** A snapshot of the client's load, for health checks and tests. */
export interface LegacyClientStats {
  /** Accepted by `send()`, not yet written (or waiting to be re-sent). */
  readonly queued: number;
  /** Written on the current connection, waiting for their delivery window. */
  readonly inFlight: number;
  /** Connections opened so far (each that passed its grace period). */
  readonly connections: number;
  /** Notifications written again after an error response, a shutdown or a silent close. */
  readonly resent: number;
  /** Error responses whose identifier had left the resend buffer (too small; what it held was resent). */
  readonly bufferTooSmall: number;
  /** Error responses received. */
  readonly errorResponses: number;
}
