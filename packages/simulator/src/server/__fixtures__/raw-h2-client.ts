/**
 * A raw HTTP/2 client over TLS that ignores the server's SETTINGS, for tests of what node:http2 does to a
 * client that breaks the protocol. It writes frames by hand:
 *
 *   frame   length(24) type(8) flags(8) R+stream id(32) payload
 *   HEADERS HPACK "literal without indexing, new name" (0x00, len, name, len, value), END_HEADERS (0x4)
 *
 * and collects every frame the server sends until the connection closes or `waitMs` passes.
 */
import { connect } from 'node:tls';

export interface RawFrame {
  readonly type:
    | 'DATA'
    | 'HEADERS'
    | 'RST_STREAM'
    | 'SETTINGS'
    | 'PING'
    | 'GOAWAY'
    | 'WINDOW_UPDATE'
    | number;
  readonly flags: number;
  readonly streamId: number;
  /** RST_STREAM and GOAWAY: the error code. */
  readonly errorCode?: number;
  /** GOAWAY: last-stream-id and debug data. */
  readonly lastStreamId?: number;
  readonly debugData?: string;
}

export interface RawSession {
  readonly frames: RawFrame[];
  readonly closed: boolean;
}

const NAMES = ['DATA', 'HEADERS', 2, 'RST_STREAM', 'SETTINGS', 5, 'PING', 'GOAWAY', 'WINDOW_UPDATE'] as const;

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK string length: a 7-bit prefix integer (RFC 7541 5.1), no Huffman. */
function length7(n: number): Buffer {
  if (n < 127) return Buffer.from([n]);
  const bytes = [127];
  for (n -= 127; n >= 128; n >>= 7) bytes.push((n & 0x7f) | 0x80);
  bytes.push(n);
  return Buffer.from(bytes);
}

function literal(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0]),
    length7(name.length),
    Buffer.from(name),
    length7(value.length),
    Buffer.from(value),
  ]);
}

/**
 * Connect, send the preface and empty SETTINGS, then open `streams` request streams (HEADERS only, left
 * open) either at once (`ackFirst: false`: the server's SETTINGS are still unacknowledged) or after
 * acknowledging the server's SETTINGS.
 */
export function openStreamsRaw(
  url: string,
  options: {
    ca: string;
    headers: Record<string, string>;
    streams: number;
    ackFirst: boolean;
    waitMs: number;
  },
): Promise<RawSession> {
  const { hostname, port } = new URL(url);
  const block = Buffer.concat([
    literal(':method', 'POST'),
    literal(':scheme', 'https'),
    literal(':path', '/3/device/00'),
    literal(':authority', hostname),
    ...Object.entries(options.headers).map(([k, v]) => literal(k, v)),
  ]);
  const sendStreams = () => {
    for (let i = 0; i < options.streams; i++) socket.write(frame(1, 0x4, 1 + 2 * i, block));
  };
  const frames: RawFrame[] = [];
  let closed = false;
  const socket = connect(
    { host: hostname, port: Number(port), ca: options.ca, ALPNProtocols: ['h2'] },
    () => {
      socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      socket.write(frame(4, 0, 0, Buffer.alloc(0)));
      if (!options.ackFirst) sendStreams();
    },
  );
  socket.on('error', () => {});
  let buffer = Buffer.alloc(0);
  socket.on('data', (data: Buffer) => {
    buffer = Buffer.concat([buffer, data]);
    while (buffer.length >= 9 && buffer.length >= 9 + buffer.readUIntBE(0, 3)) {
      const length = buffer.readUIntBE(0, 3);
      const type = buffer[3]!;
      const flags = buffer[4]!;
      const streamId = buffer.readUInt32BE(5) & 0x7fffffff;
      const p = buffer.subarray(9, 9 + length);
      buffer = buffer.subarray(9 + length);
      const name = NAMES[type] ?? type;
      if (type === 3) frames.push({ type: name, flags, streamId, errorCode: p.readUInt32BE(0) });
      else if (type === 7) {
        frames.push({
          type: name,
          flags,
          streamId,
          lastStreamId: p.readUInt32BE(0) & 0x7fffffff,
          errorCode: p.readUInt32BE(4),
          debugData: p.subarray(8).toString(),
        });
      } else frames.push({ type: name, flags, streamId });
      if (type === 4 && (flags & 1) === 0) {
        socket.write(frame(4, 1, 0, Buffer.alloc(0)));
        if (options.ackFirst) setTimeout(sendStreams, 20);
      }
    }
  });
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames, closed });
    };
    const timer = setTimeout(done, options.waitMs);
    socket.on('close', () => {
      closed = true;
      done();
    });
  });
}
