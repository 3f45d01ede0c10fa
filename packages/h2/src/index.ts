// The public surface of @pushfleet/h2: an HTTP/2 client connection, frame constants and builders, and the HPACK
// coder.
export { BUSY_SILENCE_MS, ClientConnection, type ClientConnectionOptions } from './client-connection.js';
export { DEFAULT_MAX_BODY_BYTES } from './client-streams.js';
export {
  type ClientConnectionHandler,
  type ClientStream,
  CONNECTION_CLOSE_REASONS,
  type ConnectionCloseReason,
  type HeaderBlock,
} from './connection-handler.js';
export {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  FrameType,
  frame,
  goawayPayload,
  MAX_STREAM_ID,
  MAX_WINDOW,
  PREFACE,
  Setting,
  settingsPayload,
  u32,
  writeFrameHeader,
} from './frames.js';
export { type HeaderSink, HpackDecoder, HpackError } from './hpack/hpack-decoder.js';
export {
  type HeaderPrefix,
  HpackEncoder,
  literalLength,
  writeLiteral,
  writePath,
} from './hpack/hpack-encoder.js';
