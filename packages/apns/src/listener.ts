import type { Verdict } from './types.js';

/**
 * Hot-path hooks of a transport (pushy's ApnsClientMetricsListener). Implementations must be cheap and
 * must not drive business logic; the worker binds them to metrics. Every method is optional.
 */
export interface TransportListener {
  /** APNs answered a notification; `seconds` is the round trip from write to answer. */
  onVerdict?(verdict: Verdict, seconds: number): void;
  /** A notification got no answer (it will be retried by the caller). */
  onTransportError?(code: string): void;
  onConnectionOpened?(): void;
  onConnectionClosed?(reason: string): void;
  onConnectFailed?(error: Error): void;
  /**
   * A request the server may already have processed is sent again by the transport itself (its connection was
   * lost before the answer): a possible duplicate at Apple. `cause` is a bounded label.
   */
  onResend?(cause: string): void;
}

export const NOOP_LISTENER: TransportListener = Object.freeze({});
