/**
 * Frames the raw server writes (well formed or deliberately not), the HPACK bits of its answers, and the names
 * of error codes for readable assertions. Built on @pushfleet/h2's constants and `frame()`.
 */
import { ErrorCode, Flag, FrameType, frame, settingsPayload } from '@pushfleet/h2';

/** One frame the client wrote. */
export interface ClientFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** The payload of a GOAWAY frame the client wrote. */
export interface ClientGoaway {
  readonly lastStreamId: number;
  readonly code: number;
  readonly debug: string;
}

export function parseGoaway(f: ClientFrame): ClientGoaway {
  return {
    lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff,
    code: f.payload.readUInt32BE(4),
    debug: f.payload.toString('utf8', 8),
  };
}

/** A frame whose length field says `length` whatever the payload (for malformed frames). */
export function rawFrame(type: number, flags: number, streamId: number, payload: Buffer, length?: number) {
  const out = frame(type, flags, streamId, payload);
  out.writeUIntBE(length ?? payload.length, 0, 3);
  return out;
}

export const END_HEADERS_AND_STREAM = Flag.END_HEADERS | Flag.END_STREAM;

export const headersFrame = (streamId: number, block: Buffer, flags: number = Flag.END_HEADERS) =>
  frame(FrameType.HEADERS, flags, streamId, block);
export const continuationFrame = (streamId: number, block: Buffer, flags: number = Flag.END_HEADERS) =>
  frame(FrameType.CONTINUATION, flags, streamId, block);
export const dataFrame = (streamId: number, data: Buffer, flags: number = Flag.END_STREAM) =>
  frame(FrameType.DATA, flags, streamId, data);
export const settingsFrame = (entries: readonly (readonly [number, number])[]) =>
  frame(FrameType.SETTINGS, 0, 0, settingsPayload(entries));
export const windowUpdateFrame = (streamId: number, increment: number) => {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment >>> 0, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
};
export const pingFrame = (opaque: Buffer = Buffer.alloc(8), flags = 0) =>
  frame(FrameType.PING, flags, 0, opaque);
export const rstStreamFrame = (streamId: number, code: number = ErrorCode.CANCEL) => {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, payload);
};

/** HPACK static-table indexes of the `:status` values that have one (RFC 7541 Appendix A). */
const STATUS_INDEX: Record<number, number> = { 200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14 };

/**
 * A response header block: `:status` (indexed when the static table has it, else a literal with its name
 * indexed), then `extra` as literals without indexing with literal names. Nothing enters the client's table.
 */
export function responseBlock(status: number, extra: readonly (readonly [string, string])[] = []): Buffer {
  const parts: Buffer[] = [];
  const index = STATUS_INDEX[status];
  if (index !== undefined) parts.push(Buffer.from([0x80 | index]));
  else parts.push(Buffer.from([0x08]), hpackString(String(status)));
  for (const [name, value] of extra) parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  return Buffer.concat(parts);
}

/** A raw (non-Huffman) HPACK string; lengths up to 126 only, which is all the tests need. */
export function hpackString(s: string): Buffer {
  if (s.length > 126) throw new Error('hpackString: test strings are short');
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
}

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** `PROTOCOL_ERROR` for 0x1, `0x2a` for a code RFC 9113 does not define. */
export const errorName = (code: number) => ERROR_NAMES.get(code) ?? `0x${code.toString(16)}`;
