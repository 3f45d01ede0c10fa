// The public surface of @pushfleet/apns-legacy: the binary gateway client, the feedback reader, and the codecs a
// server side (the simulator) shares with them.
export { decodeErrorResponse, encodeErrorResponse, type LegacyErrorResponse } from './error-response.js';
export {
  encodeFeedbackTuple,
  encodeFeedbackTuples,
  FeedbackDecoder,
  type FeedbackTuple,
} from './feedback-tuple.js';
export {
  type DecodedNotification,
  type DecodeFault,
  FRAME_FAULT_STATUS,
  FrameDecoder,
  type FrameDecoderEvent,
  type FrameDecoderOptions,
  type FrameFaultStatus,
} from './frame-decoder.js';
export { DEFAULT_ENCODER_CAPACITY, FrameEncoder, type FrameEncoderOptions } from './frame-encoder.js';
export { DEFAULT_LEGACY_GATEWAY_PORT, LegacyClient } from './legacy-client.js';
export {
  DEFAULT_DELIVERY_WINDOW_MS,
  DEFAULT_LEGACY_RESEND_BUFFER_SIZE,
  type LegacyClientOptions,
  type LegacyClientStats,
} from './legacy-client-options.js';
export {
  DEFAULT_FEEDBACK_PORT,
  DEFAULT_FEEDBACK_TIMEOUT_MS,
  type ReadFeedbackOptions,
  readFeedback,
} from './read-feedback.js';
export {
  encodeEnhanced,
  encodeFrame,
  encodeSimple,
  type LegacyEncodeOptions,
  type LegacyNotification,
} from './single-frame.js';
export {
  LEGACY_COMMANDS,
  LEGACY_ITEMS,
  LEGACY_PRIORITIES,
  LEGACY_TOKEN_BYTES,
  type LegacyCommand,
  type LegacyItem,
  type LegacyPriority,
} from './wire.js';
