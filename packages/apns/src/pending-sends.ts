/**
 * A client's accepted sends (HTTP/2 pool and legacy client alike): each settles once, as a Verdict (APNs
 * answered) or a TransportError (no answer), told to its receiver and to the TransportListener, and counts
 * down to what `close()` waits for.
 */
import type { TransportError } from './errors.js';
import type { TransportListener } from './listener.js';
import type { Verdict } from './types.js';

/**
 * Who is told how a send ended, once: `resolve` with APNs' verdict, or `reject` when no answer came (a
 * TransportError) or the request could not be sent (a validation error). For `send()` it is the promise's
 * resolvers; the worker passes one object per notification to `submit()` instead, so a send costs no
 * promise, closures or reactions (a third of a legacy worker's live heap, by a heap snapshot). It must not throw.
 */
export interface SendReceiver {
  resolve(verdict: Verdict): void;
  reject(error: Error): void;
}

/** What a client keeps per send so that it settles once. */
export interface SettleableSend {
  settled: boolean;
  readonly receiver: SendReceiver;
}

/** `submit` as a promise: what `send()` is on each client. */
export function promiseOf(submit: (receiver: SendReceiver) => void): Promise<Verdict> {
  return new Promise<Verdict>((resolve, reject) => submit({ resolve, reject }));
}

export class PendingSends {
  readonly #listener: TransportListener;
  #count = 0;
  #whenDrained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  constructor(listener: TransportListener) {
    this.#listener = listener;
  }

  /** Sends accepted and not settled yet. */
  get count(): number {
    return this.#count;
  }

  /** A send was accepted: it is waited for by `drained()` until it settles. */
  accept(): void {
    this.#count++;
  }

  /** APNs answered; `sentAt` is the `performance.now()` of the write the answer is for. */
  resolve(send: SettleableSend, verdict: Verdict, sentAt: number): void {
    if (send.settled) return;
    send.settled = true;
    this.#listener.onVerdict?.(verdict, (performance.now() - sentAt) / 1000);
    this.#settled();
    send.receiver.resolve(verdict);
  }

  /** No answer came, or none can come. */
  reject(send: SettleableSend, error: TransportError): void {
    if (send.settled) return;
    send.settled = true;
    this.#listener.onTransportError?.(error.code);
    this.#settled();
    send.receiver.reject(error);
  }

  /** Resolves once every accepted send has settled (at once when none is pending). */
  drained(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    this.#whenDrained ??= new Promise<void>((resolve) => (this.#resolveDrained = resolve));
    return this.#whenDrained;
  }

  #settled(): void {
    if (--this.#count > 0 || this.#resolveDrained === undefined) return;
    this.#resolveDrained();
    this.#resolveDrained = undefined;
    this.#whenDrained = undefined;
  }
}
