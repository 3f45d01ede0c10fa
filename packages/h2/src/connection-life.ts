/**
 * The life of the TLS socket under a client connection, and its timers: connect after a delay (the owner's
 * backoff) with ALPN `h2` (RFC 9113 §3.2), give up after `connectTimeoutMs`, check a silent connection with PING
 * after `pingIntervalMs` (or at once when the owner `probe`s it: a request timed out) and drop it after
 * `pingTimeoutMs` without an ACK, and end it so that the last bytes
 * written (a GOAWAY) reach the peer. The first close reason and the first error recorded win: they say why the
 * connection ended.
 */
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import type { ConnectionCloseReason } from './connection-handler.js';
import { FrameType, frame } from './frames.js';
import type { WriteBatch } from './write-batch.js';

export interface ConnectionLifeOptions {
  readonly host: string;
  readonly port: number;
  /** TLS options (ca, cert, key, servername, session...); ALPN `h2` is added. */
  readonly tls: ConnectionOptions;
  /** Wait before connecting (the owner's reconnect backoff). */
  readonly connectDelayMs: number;
  /** TCP and TLS within this, or the connection fails with `connect-timeout`. */
  readonly connectTimeoutMs: number;
  /** Silence before the connection is checked with a PING. */
  readonly pingIntervalMs: number;
  /** Wait for the PING ACK before the connection is dropped with `ping-timeout`. */
  readonly pingTimeoutMs: number;
}

export interface ConnectionLifeEvents {
  /** TLS is up and the server agreed to h2. */
  onSecure(socket: TLSSocket): void;
  onTicket(ticket: Buffer): void;
  onData(chunk: Buffer): void;
  /** Once: the socket is gone, or was never made. */
  onClose(): void;
}

/** After our GOAWAY and FIN, how long the peer has to close before we destroy the socket. */
const DRAIN_GRACE_MS = 250;

export class ConnectionLife<R extends string> {
  readonly #o: ConnectionLifeOptions;
  readonly #batch: WriteBatch;
  readonly #events: ConnectionLifeEvents;
  #socket: TLSSocket | undefined;
  #connected = false;
  #closed = false;
  #reason: ConnectionCloseReason | R | undefined;
  #error: Error | undefined;
  #connectStartedAt = -1;
  /** When the peer last sent anything: silence is judged on this alone, since writes reach a dead peer too. */
  #lastReceived = 0;
  #pingSentAt = -1;
  #connectTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  #resolveClosed!: () => void;
  /** Resolves once the connection is gone. */
  readonly whenClosed = new Promise<void>((resolve) => (this.#resolveClosed = resolve));

  constructor(options: ConnectionLifeOptions, batch: WriteBatch, events: ConnectionLifeEvents) {
    this.#o = options;
    this.#batch = batch;
    this.#events = events;
    // Always asynchronous, so the owner has registered the connection before any event of it arrives.
    this.#connectTimer = setTimeout(() => this.#connect(), options.connectDelayMs);
  }

  get connected(): boolean {
    return this.#connected;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** Our GOAWAY and FIN went out; the socket closes soon. */
  get ending(): boolean {
    return this.#drainTimer !== undefined;
  }
  get error(): Error | undefined {
    return this.#error;
  }
  /** Why it ended (or is ending): the first reason given, else `error` or `remote-closed`. */
  get reason(): ConnectionCloseReason | R {
    return this.#reason ?? (this.#error !== undefined ? 'error' : 'remote-closed');
  }

  /** Record why the connection ends, unless a reason or an error was recorded first. */
  note(reason: ConnectionCloseReason | R, error?: Error): void {
    this.#reason ??= reason;
    if (error !== undefined) this.#error ??= error;
  }

  pingAcked(): void {
    this.#pingSentAt = -1;
  }

  /** How long the peer has sent nothing (since the connection was made). */
  silentForMs(now: number): number {
    return now - this.#lastReceived;
  }

  /** PING now (unless one is out): a request got no answer in time, so the peer may be gone. */
  probe(now: number): void {
    if (this.#closed || !this.#connected || this.#pingSentAt >= 0) return;
    this.#pingSentAt = now;
    this.#batch.control(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
  }

  /** The connect timeout and the idle PING, checked by the owner's timer. */
  tick(now: number): void {
    if (this.#closed) return;
    const o = this.#o;
    if (!this.#connected) {
      if (this.#connectStartedAt >= 0 && now - this.#connectStartedAt >= o.connectTimeoutMs) {
        this.destroy('connect-timeout', new Error(`no connection within ${o.connectTimeoutMs} ms`));
      }
    } else if (this.#pingSentAt >= 0) {
      if (now - this.#pingSentAt >= o.pingTimeoutMs) {
        this.destroy('ping-timeout', new Error(`no PING ACK within ${o.pingTimeoutMs} ms`));
      }
    } else if (now - this.#lastReceived >= o.pingIntervalMs) {
      // Nothing heard for that long, idle or written to (a black-holed connection takes writes): PING.
      this.#pingSentAt = now;
      this.#batch.control(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
    }
  }

  /**
   * Send `goaway` (a GOAWAY frame) now, then end our side once it is flushed: `end()` writes what is queued,
   * then close_notify and FIN, where `destroy()` may drop it. Destroy if the peer is not gone in DRAIN_GRACE_MS.
   */
  end(goaway: Buffer): void {
    const socket = this.#socket;
    if (socket === undefined || !this.#connected || this.#closed || this.ending) return;
    this.#batch.control(goaway);
    this.#batch.flush();
    socket.end();
    this.#drainTimer = setTimeout(() => this.destroy('closed'), DRAIN_GRACE_MS);
    this.#drainTimer.unref();
  }

  /** Drop the socket now (or stop the connect that has not started). */
  destroy(reason: ConnectionCloseReason | R, error?: Error): void {
    this.note(reason, error);
    if (this.#closed) return;
    if (this.#socket !== undefined && !this.#socket.destroyed) {
      this.#socket.destroy();
    } else {
      this.#onClose();
    }
  }

  #connect(): void {
    this.#connectTimer = undefined;
    if (this.#closed) return;
    this.#connectStartedAt = performance.now();
    let socket: TLSSocket;
    try {
      socket = connect({ ...this.#o.tls, host: this.#o.host, port: this.#o.port, ALPNProtocols: ['h2'] });
    } catch (error) {
      this.#error = error as Error;
      this.#onClose();
      return;
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('secureConnect', () => this.#onSecure(socket));
    socket.on('session', (ticket: Buffer) => this.#events.onTicket(ticket));
    socket.on('data', (chunk: Buffer) => {
      this.#lastReceived = performance.now();
      this.#events.onData(chunk);
    });
    socket.on('error', (error: Error) => this.note('error', error));
    socket.on('close', () => this.#onClose());
  }

  #onSecure(socket: TLSSocket): void {
    if (this.#closed) return;
    if (socket.alpnProtocol !== 'h2') {
      const alpn = socket.alpnProtocol || 'none';
      this.destroy('error', new Error(`the server did not negotiate h2 (ALPN: ${alpn})`));
      return;
    }
    this.#connected = true;
    this.#lastReceived = performance.now();
    this.#batch.attach(socket);
    this.#events.onSecure(socket);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#batch.attach(undefined);
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    this.#events.onClose();
    this.#resolveClosed();
  }
}
