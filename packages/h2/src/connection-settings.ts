/**
 * Both sides' SETTINGS (RFC 9113 §6.5). Ours go out in the connection preface (§3.4): no server push, and a
 * large stream window, with a WINDOW_UPDATE raising the connection window to match (flow-control.ts). The
 * peer's are checked entry by entry against §6.5.2 and applied in the order sent; MAX_HEADER_LIST_SIZE is
 * advisory and our header blocks are far below any sane value, and unknown identifiers are ignored (§6.5.2).
 */
import { LOCAL_CONNECTION_WINDOW, LOCAL_STREAM_WINDOW } from './flow-control.js';
import {
  type ConnectionError,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FrameType,
  frame,
  MAX_WINDOW,
  PREFACE,
  Setting,
  settingsPayload,
  u32,
} from './frames.js';

/** What a client sends first: the preface string, our SETTINGS, and the connection WINDOW_UPDATE. */
export const CLIENT_PREFACE = Buffer.concat([
  PREFACE,
  frame(
    FrameType.SETTINGS,
    0,
    0,
    settingsPayload([
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, LOCAL_STREAM_WINDOW],
    ]),
  ),
  frame(FrameType.WINDOW_UPDATE, 0, 0, u32(LOCAL_CONNECTION_WINDOW - DEFAULT_WINDOW)),
]);
export const SETTINGS_ACK = frame(FrameType.SETTINGS, Flag.ACK, 0);

/** What a connection does with each setting it honours. */
export interface PeerSettingsTarget {
  /** HEADER_TABLE_SIZE: the most our HPACK encoder may use of the peer's decoder table. */
  setHeaderTableSize(value: number): void;
  /** MAX_CONCURRENT_STREAMS: streams we may have open at once. */
  setMaxConcurrentStreams(value: number): void;
  /** INITIAL_WINDOW_SIZE: the send window of every stream, open ones included (§6.9.2); may overflow one. */
  setInitialWindowSize(value: number): ConnectionError | undefined;
  /** MAX_FRAME_SIZE: the largest frame payload we may send. */
  setMaxFrameSize(value: number): void;
}

/**
 * Check one SETTINGS frame and, unless it is an ACK, apply its entries to `target` in order. Returns the
 * connection error it causes, if any (entries before the bad one stay applied: the connection ends anyway).
 */
export function applyPeerSettings(
  flags: number,
  streamId: number,
  buf: Buffer,
  start: number,
  end: number,
  target: PeerSettingsTarget,
): ConnectionError | undefined {
  if (streamId !== 0) return { code: ErrorCode.PROTOCOL_ERROR, message: 'SETTINGS on a stream' };
  if (flags & Flag.ACK) {
    if (end === start) return undefined;
    return { code: ErrorCode.FRAME_SIZE_ERROR, message: 'SETTINGS ACK with a payload' };
  }
  if ((end - start) % 6 !== 0) {
    return { code: ErrorCode.FRAME_SIZE_ERROR, message: 'SETTINGS payload not a multiple of 6' };
  }
  for (let p = start; p < end; p += 6) {
    const id = buf.readUInt16BE(p);
    const value = buf.readUInt32BE(p + 2);
    switch (id) {
      case Setting.HEADER_TABLE_SIZE:
        target.setHeaderTableSize(value);
        break;
      case Setting.ENABLE_PUSH:
        // A server may only send 0 here; a client treats 1 (or anything else) as PROTOCOL_ERROR (RFC 9113 §6.5.2).
        if (value !== 0)
          return { code: ErrorCode.PROTOCOL_ERROR, message: 'ENABLE_PUSH from a server must be 0' };
        break;
      case Setting.MAX_CONCURRENT_STREAMS:
        target.setMaxConcurrentStreams(value);
        break;
      case Setting.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW) {
          return { code: ErrorCode.FLOW_CONTROL_ERROR, message: 'INITIAL_WINDOW_SIZE above 2^31-1' };
        }
        {
          const error = target.setInitialWindowSize(value);
          if (error !== undefined) return error;
        }
        break;
      case Setting.MAX_FRAME_SIZE:
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) {
          return { code: ErrorCode.PROTOCOL_ERROR, message: 'MAX_FRAME_SIZE out of range' };
        }
        target.setMaxFrameSize(value);
        break;
      default:
        break;
    }
  }
  return undefined;
}
