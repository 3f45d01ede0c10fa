/**
 * A TLS server (ALPN h2) that speaks HTTP/2 by hand, for the conformance and fuzz suites: it reads the client
 * preface and every frame the client writes (parsed, header blocks decoded with our HpackDecoder), writes the
 * server SETTINGS frame unless told not to, ACKs the client's SETTINGS unless told not to, and otherwise writes
 * only what the test hands it, byte for byte, in one socket write per `write()` call (one TCP chunk on loopback).
 *
 * Every wait is bounded (`waitFor`): a client that does not react fails the test with a message naming what was
 * awaited, never a hang.
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { selfSignedCertificate, type TestCertificate } from '@pushfleet/credentials/testing';
import { Flag, FRAME_HEADER_LENGTH, FrameType, frame, HpackDecoder, PREFACE, Setting } from '@pushfleet/h2';
import {
  type ClientFrame,
  type ClientGoaway,
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  parseGoaway,
  responseBlock,
  settingsFrame,
} from './frames.js';

/** A request stream the client opened. */
export interface ClientRequest {
  readonly streamId: number;
  /** The decoded header fields, in order. */
  readonly fields: [string, string][];
  /** The raw header block (HEADERS plus CONTINUATION fragments). */
  readonly block: Buffer;
  readonly body: Buffer[];
  ended: boolean;
}

/** What the client did after the test wrote something bad, as seen by `reaction()`. */
export type Reaction =
  | { readonly kind: 'goaway'; readonly goaway: ClientGoaway }
  | { readonly kind: 'ack' }
  | { readonly kind: 'closed' };

export const DEFAULT_WAIT_MS = 3_000;

export type SettingsEntries = readonly (readonly [number, number])[];

/** The server's SETTINGS unless a test says otherwise: room for 100 streams, RFC defaults for the rest. */
export const DEFAULT_SERVER_SETTINGS: SettingsEntries = [[Setting.MAX_CONCURRENT_STREAMS, 100]];

export interface RawH2ServerOptions {
  /**
   * The server's first SETTINGS frame, written after the connection handler ran (so the handler may write
   * before it, or change `connection.settings`); `false`: write none.
   * @defaultValue {@link DEFAULT_SERVER_SETTINGS}
   */
  readonly settings?: SettingsEntries | false;
  /** ACK each SETTINGS frame of the client (per connection: `connection.ackSettings`). @defaultValue true */
  readonly ackSettings?: boolean;
}

/** One accepted connection. */
export class RawConnection {
  readonly frames: ClientFrame[] = [];
  readonly requests = new Map<number, ClientRequest>();
  /** Called when a request stream ends (END_STREAM). */
  onRequest: ((request: ClientRequest) => void) | undefined;
  /** Called when a request's HEADERS arrive (before its DATA). */
  onStream: ((request: ClientRequest) => void) | undefined;
  closed = false;
  /** The SETTINGS frame written once the handler returned; `false`: none. */
  settings: SettingsEntries | false;
  /** ACK the client's SETTINGS frames. */
  ackSettings: boolean;
  /** Bytes of frames the client wrote (after the preface). */
  bytesRead = 0;
  #buf: Buffer = Buffer.alloc(0);
  #preface = false;
  readonly #decoder = new HpackDecoder();
  #block: { streamId: number; flags: number; parts: Buffer[] } | undefined;
  readonly #waiters = new Set<() => void>();
  #probes = 0;
  readonly index: number;
  readonly socket: TLSSocket;
  readonly #ready: (connection: RawConnection) => void;

  constructor(
    index: number,
    socket: TLSSocket,
    options: RawH2ServerOptions,
    ready: (connection: RawConnection) => void,
  ) {
    this.index = index;
    this.socket = socket;
    this.#ready = ready;
    this.settings = options.settings ?? DEFAULT_SERVER_SETTINGS;
    this.ackSettings = options.ackSettings ?? true;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#changed();
    });
  }

  /** Write `parts` in one socket write; false once the socket is gone. */
  write(...parts: Buffer[]): boolean {
    if (this.socket.destroyed) return false;
    this.socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    return true;
  }

  /** The GOAWAY frames the client wrote. */
  get goaways(): ClientGoaway[] {
    return this.frames.filter((f) => f.type === FrameType.GOAWAY).map(parseGoaway);
  }

  /**
   * Resolve with `check()`'s first defined value; reject after `ms` naming `what`. Checked at every frame and
   * every 10 ms (for conditions on the client side, such as a settled send).
   */
  waitFor<T>(what: string, check: () => T | undefined, ms = DEFAULT_WAIT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(run);
        clearTimeout(timer);
        clearInterval(poll);
      };
      const run = () => {
        const value = check();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`connection ${this.index}: no ${what} within ${ms} ms`));
      }, ms);
      const poll = setInterval(run, 10);
      this.#waiters.add(run);
      run();
    });
  }

  /** The first request stream(s) opened: waits until `n` have their HEADERS. */
  async streams(n = 1, ms = DEFAULT_WAIT_MS): Promise<ClientRequest[]> {
    return this.waitFor(
      `${n} request HEADERS`,
      () => (this.requests.size >= n ? [...this.requests.values()].slice(0, n) : undefined),
      ms,
    );
  }

  /** Waits until `n` requests ended (END_STREAM). */
  async ended(n = 1, ms = DEFAULT_WAIT_MS): Promise<ClientRequest[]> {
    return this.waitFor(
      `${n} complete requests`,
      () => {
        const done = [...this.requests.values()].filter((r) => r.ended);
        return done.length >= n ? done.slice(0, n) : undefined;
      },
      ms,
    );
  }

  waitForGoaway(ms = DEFAULT_WAIT_MS): Promise<ClientGoaway> {
    return this.waitFor('GOAWAY from the client', () => this.goaways[0], ms);
  }

  waitForClose(ms = DEFAULT_WAIT_MS): Promise<void> {
    return this.waitFor('close', () => (this.closed ? true : undefined), ms).then(() => undefined);
  }

  /**
   * Write `parts`, then a probe PING, and report what the client did first: a GOAWAY, the probe's ACK (it
   * processed everything before the probe and carried on) or a close without either. Frames are processed in
   * order, so an ACK without a GOAWAY means the client accepted what came before.
   */
  reaction(parts: Buffer[], ms = DEFAULT_WAIT_MS): Promise<Reaction> {
    const opaque = Buffer.alloc(8);
    opaque.write('probe', 0);
    opaque.writeUInt16BE(++this.#probes, 6);
    this.write(...parts, frame(FrameType.PING, 0, 0, opaque));
    return this.waitFor<Reaction>(
      'GOAWAY, probe ACK or close',
      () => {
        const goaway = this.goaways[0];
        if (goaway !== undefined) return { kind: 'goaway', goaway };
        const acked = this.frames.some(
          (f) => f.type === FrameType.PING && f.flags & Flag.ACK && f.payload.equals(opaque),
        );
        if (acked) return { kind: 'ack' };
        return this.closed ? { kind: 'closed' } : undefined;
      },
      ms,
    );
  }

  /**
   * A PING round trip: when it resolves the client has processed every frame written before, and the write
   * it was busy with has completed. Without it a GOAWAY the client writes right after its SETTINGS ACK sits
   * behind that ACK's unfinished socket write, and today's client destroys the socket with it still queued
   * (the GOAWAY delivery cases in connection-errors.test.ts cover that on purpose); the other cases sync
   * first, so that they see the error code the client chose.
   */
  async sync(ms = DEFAULT_WAIT_MS): Promise<void> {
    const reaction = await this.reaction([], ms);
    if (reaction.kind !== 'ack') throw new Error(`connection ${this.index}: sync PING got ${reaction.kind}`);
  }

  /** Answer `streamId` with `status` and `apns-id: <apnsId>`, END_STREAM. */
  respond(streamId: number, status = 200, apnsId?: string): void {
    const extra: [string, string][] = apnsId === undefined ? [] : [['apns-id', apnsId]];
    this.write(headersFrame(streamId, responseBlock(status, extra), END_HEADERS_AND_STREAM));
  }

  destroy(): void {
    this.socket.destroy();
  }

  #changed(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    if (!this.#preface) {
      if (this.#buf.length < PREFACE.length) return;
      if (!this.#buf.subarray(0, PREFACE.length).equals(PREFACE)) {
        this.socket.destroy(new Error('not an HTTP/2 client preface'));
        return;
      }
      this.#preface = true;
      this.#buf = this.#buf.subarray(PREFACE.length);
      this.#ready(this);
      if (this.settings !== false) this.write(settingsFrame(this.settings));
    }
    let pos = 0;
    while (this.#buf.length - pos >= FRAME_HEADER_LENGTH) {
      const length = this.#buf.readUIntBE(pos, 3);
      if (this.#buf.length - pos < FRAME_HEADER_LENGTH + length) break;
      const start = pos + FRAME_HEADER_LENGTH;
      const f: ClientFrame = {
        type: this.#buf[pos + 3]!,
        flags: this.#buf[pos + 4]!,
        streamId: this.#buf.readUInt32BE(pos + 5) & 0x7fffffff,
        payload: Buffer.from(this.#buf.subarray(start, start + length)),
      };
      pos = start + length;
      this.bytesRead += FRAME_HEADER_LENGTH + length;
      this.frames.push(f);
      this.#onFrame(f);
    }
    this.#buf = this.#buf.subarray(pos);
    this.#changed();
  }

  #onFrame(f: ClientFrame): void {
    if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK) && this.ackSettings) {
      this.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
    } else if (f.type === FrameType.HEADERS) {
      this.#block = { streamId: f.streamId, flags: f.flags, parts: [f.payload] };
      if (f.flags & Flag.END_HEADERS) this.#onBlock();
    } else if (f.type === FrameType.CONTINUATION && this.#block !== undefined) {
      this.#block.parts.push(f.payload);
      if (f.flags & Flag.END_HEADERS) this.#onBlock();
    } else if (f.type === FrameType.DATA) {
      const request = this.requests.get(f.streamId);
      if (request === undefined) return;
      request.body.push(f.payload);
      if (f.flags & Flag.END_STREAM) this.#end(request);
    }
  }

  #onBlock(): void {
    const { streamId, flags, parts } = this.#block!;
    this.#block = undefined;
    const block = Buffer.concat(parts);
    const fields: [string, string][] = [];
    this.#decoder.decode(block, 0, block.length, (name, value) => fields.push([name, value]));
    const request: ClientRequest = { streamId, fields, block, body: [], ended: false };
    this.requests.set(streamId, request);
    this.onStream?.(request);
    if (flags & Flag.END_STREAM) this.#end(request);
  }

  #end(request: ClientRequest): void {
    request.ended = true;
    this.onRequest?.(request);
  }
}

export interface RawH2Server extends AsyncDisposable {
  readonly url: string;
  /** The server certificate, for the pool's `ca`. */
  readonly ca: string;
  readonly connections: RawConnection[];
  /** The `index`-th connection (0 = first), once its client preface has arrived. */
  connection(index: number, ms?: number): Promise<RawConnection>;
  close(): Promise<void>;
}

let certificate: TestCertificate | undefined;

/** Start a server on 127.0.0.1:0; `onConnection` runs once the client preface arrived (SETTINGS written). */
export async function startRawH2Server(
  onConnection: (connection: RawConnection) => void,
  options: RawH2ServerOptions = {},
): Promise<RawH2Server> {
  certificate ??= selfSignedCertificate();
  const connections: RawConnection[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer({
    cert: certificate.cert,
    key: certificate.key,
    ALPNProtocols: ['h2'],
  });
  let accepted = 0;
  server.on('secureConnection', (socket: TLSSocket) => {
    new RawConnection(accepted++, socket, options, (connection) => {
      connections[connection.index] = connection;
      onConnection(connection);
      for (const waiter of [...waiters]) waiter();
    });
  });
  server.on('tlsClientError', () => {});
  // Every TCP socket, also those still in their TLS handshake or before their preface: close() ends them all.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const connection of connections) connection?.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `https://127.0.0.1:${port}`,
    ca: certificate.cert,
    connections,
    connection: (index, ms = DEFAULT_WAIT_MS) =>
      new Promise<RawConnection>((resolve, reject) => {
        const run = () => {
          const found = connections[index];
          if (found === undefined) return;
          waiters.delete(run);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(run);
          reject(new Error(`no connection ${index} within ${ms} ms (${connections.length} so far)`));
        }, ms);
        waiters.add(run);
        run();
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

// ---- helpers for assertions ---------------------------------------------------------------------------------

/** A connection that behaves: every request is answered 200 with `apns-id: conn-<index>`. */
export function serveOk(connection: RawConnection): void {
  connection.onRequest = (request) => connection.respond(request.streamId, 200, label(connection));
}

/** The apns-id a connection's answers carry, so a verdict says which connection answered it. */
export const label = (connection: RawConnection | number) =>
  `conn-${typeof connection === 'number' ? connection : connection.index}`;

/** `GOAWAY PROTOCOL_ERROR`, `probe ACK (no error)` or `closed without GOAWAY`: reads well in a failed expect. */
export function describeReaction(reaction: Reaction): string {
  if (reaction.kind === 'goaway') return `GOAWAY ${errorName(reaction.goaway.code)}`;
  return reaction.kind === 'ack' ? 'probe ACK (no error)' : 'closed without GOAWAY';
}

/** The RST_STREAM frames the client wrote, as `<stream> <code name>`. */
export function resets(connection: RawConnection): string[] {
  return connection.frames
    .filter((f) => f.type === FrameType.RST_STREAM)
    .map((f) => `${f.streamId} ${errorName(f.payload.readUInt32BE(0))}`);
}
