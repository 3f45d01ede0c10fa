import type { IncomingHttpHeaders, OutgoingHttpHeaders, SecureClientSessionOptions } from 'node:http2';
import type { TransportError } from '../errors.js';
import type { PendingRequest } from './pending-request.js';
import type { ApnsSession } from './session.js';

/** Why a session ended; a bounded label for `TransportListener.onConnectionClosed`. */
export const SESSION_CLOSE_REASONS = [
  'goaway',
  'error',
  'remote-closed',
  'ping-timeout',
  'connect-timeout',
  'expired-provider-token',
  'closed',
] as const;
export type SessionCloseReason = (typeof SESSION_CLOSE_REASONS)[number];

/** What a session reports to whoever holds it (the client today, a session pool later). */
export interface SessionOwner {
  /** Request headers for the next write of `pending` (called once per write, so a re-send gets a fresh bearer). */
  headersFor(pending: PendingRequest): OutgoingHttpHeaders;
  /** APNs answered. `body` is undefined on 200 (never read). */
  onAnswer(
    session: ApnsSession,
    pending: PendingRequest,
    status: number,
    headers: IncomingHttpHeaders,
    body: Buffer | undefined,
  ): void;
  /** Not processed by APNs (never written, refused, above a GOAWAY's last stream id): send it elsewhere. */
  onRequeue(pending: PendingRequest, written: boolean): void;
  /** No answer will come: reject it. */
  onFailed(pending: PendingRequest, error: TransportError): void;
  onOpened(session: ApnsSession): void;
  /** The session takes no new streams any more (GOAWAY, retired, closing): stop routing requests to it. */
  onDraining(session: ApnsSession): void;
  /** The session is gone. `connected` is false when the connection was never made. */
  onClosed(
    session: ApnsSession,
    reason: SessionCloseReason,
    connected: boolean,
    error: Error | undefined,
  ): void;
}

/** Settings of one {@link ApnsSession}; the client builds them once. */
export interface ApnsSessionOptions {
  readonly url: string;
  readonly connectOptions: SecureClientSessionOptions;
  readonly owner: SessionOwner;
  /** Wait this long before connecting (reconnect backoff); 0 connects on the next turn of the event loop. */
  readonly connectDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** Period of the housekeeping timer (request deadlines, idle PING, connect timeout). */
  readonly tickMs: number;
}
