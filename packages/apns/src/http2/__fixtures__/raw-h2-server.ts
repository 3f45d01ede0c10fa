/**
 * A raw HTTP/2 server over TLS that answers with hand-built bytes, for tests of what the client does with frames
 * node:http2 would never send (a PING of the wrong length, a response right behind a connection error). It is
 * written without @pushfleet/h2, so a bug in our frame code cannot hide itself here:
 *
 *   frame     length(24) type(8) flags(8) R+stream id(32) payload      (RFC 9113 §4.1)
 *   :status   HPACK "literal without indexing, indexed name" 0x08 (static entry 8), raw length, digits
 *             (RFC 7541 §6.2.2)
 *
 * It sends its SETTINGS (empty unless given) at once (or `settingsDelayMs` later), ACKs the client's, records
 * every frame the client sends per connection, and calls `onRequest` when a client stream ends (END_STREAM on its
 * HEADERS or DATA).
 */
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { selfSignedCertificate, type TestCertificate } from '@pushfleet/credentials/testing';

/** One frame as the client sent it. */
export interface ClientFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** One accepted connection: what the client sent, and a way to write raw bytes back. */
export interface RawConnection {
  readonly socket: TLSSocket;
  readonly frames: ClientFrame[];
  /** Resolves when the client's socket closed. */
  readonly closed: Promise<void>;
}

export interface RawH2Server extends AsyncDisposable {
  readonly url: string;
  /** The server certificate, to pass as the client's `ca`. */
  readonly ca: string;
  /** Every connection in accept order. */
  readonly connections: RawConnection[];
  close(): Promise<void>;
}

const PREFACE_LENGTH = 24;
const SETTINGS = 0x4;
const ACK = 0x1;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;

/** A frame: 9-byte header, then the payload. */
export function rawFrame(type: number, flags: number, streamId: number, payload = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A HEADERS frame carrying only `:status`, END_HEADERS, and END_STREAM unless `endStream` is false. */
export function rawStatus(streamId: number, status: number, endStream = true): Buffer {
  const digits = Buffer.from(String(status), 'latin1');
  const block = Buffer.concat([Buffer.from([0x08, digits.length]), digits]);
  return rawFrame(0x1, END_HEADERS | (endStream ? END_STREAM : 0), streamId, block);
}

let shared: TestCertificate | undefined;

/**
 * Start a raw server on 127.0.0.1:0; `onRequest` gets each finished client stream. With `answerPings` it ACKs
 * the client's PINGs (a live peer), else it never does; with `settingsDelayMs` its SETTINGS leave that long after
 * the handshake (a server preface still on its way).
 */
export async function startRawH2Server(
  onRequest: (connection: RawConnection, streamId: number) => void,
  settings: readonly (readonly [number, number])[] = [],
  options: { readonly answerPings?: boolean; readonly settingsDelayMs?: number } = {},
): Promise<RawH2Server> {
  shared ??= selfSignedCertificate();
  const tls = shared;
  const connections: RawConnection[] = [];
  const server = createServer({ cert: tls.cert, key: tls.key, ALPNProtocols: ['h2'] }, (socket) => {
    const frames: ClientFrame[] = [];
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const connection: RawConnection = { socket, frames, closed };
    connections.push(connection);
    socket.on('error', () => {});
    const entries = Buffer.alloc(settings.length * 6);
    settings.forEach(([id, value], i) => {
      entries.writeUInt16BE(id, i * 6);
      entries.writeUInt32BE(value, i * 6 + 2);
    });
    // The server's SETTINGS must be its first frame (RFC 9113 §3.4): what it writes before then waits for it.
    let early: Buffer[] | undefined;
    const reply = (frame: Buffer) => (early ? early.push(frame) : socket.write(frame));
    const preface = rawFrame(SETTINGS, 0, 0, entries);
    if (options.settingsDelayMs === undefined) socket.write(preface);
    else {
      early = [];
      setTimeout(() => {
        if (socket.writable) socket.write(Buffer.concat([preface, ...(early ?? [])]));
        early = undefined;
      }, options.settingsDelayMs);
    }
    let buffer = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!prefaceSeen) {
        if (buffer.length < PREFACE_LENGTH) return;
        buffer = buffer.subarray(PREFACE_LENGTH);
        prefaceSeen = true;
      }
      while (buffer.length >= 9 && buffer.length >= 9 + buffer.readUIntBE(0, 3)) {
        const length = buffer.readUIntBE(0, 3);
        const type = buffer[3]!;
        const flags = buffer[4]!;
        const streamId = buffer.readUInt32BE(5) & 0x7fffffff;
        const payload = Buffer.from(buffer.subarray(9, 9 + length));
        buffer = buffer.subarray(9 + length);
        frames.push({ type, flags, streamId, payload });
        if (type === SETTINGS && (flags & ACK) === 0) reply(rawFrame(SETTINGS, ACK, 0));
        if (type === 0x6 && (flags & ACK) === 0 && options.answerPings) reply(rawFrame(0x6, ACK, 0, payload));
        const request = type === 0x0 || type === 0x1;
        if (request && streamId !== 0 && flags & END_STREAM) onRequest(connection, streamId);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const c of connections) c.socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `https://127.0.0.1:${port}`,
    ca: tls.cert,
    connections,
    close,
    [Symbol.asyncDispose]: close,
  };
}
