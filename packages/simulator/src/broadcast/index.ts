/** The simulator's broadcast push route and channel-management API. */
export {
  type BroadcastOptions,
  DEFAULT_BROADCAST_OPTIONS,
} from './broadcast-options.js';
export {
  BroadcastRecorder,
  type RecordedBroadcast,
  type RecordedBroadcastRejection,
} from './broadcast-recorder.js';
export {
  BROADCAST_OPERATIONS,
  type BroadcastOperation,
  type BroadcastRule,
  BroadcastRuleBook,
  type BroadcastRuleHandle,
} from './broadcast-rules.js';
export {
  type Channel,
  type ChannelChange,
  ChannelStore,
  MAX_STORED_MESSAGE_MS,
  type StoredMessage,
} from './channel-store.js';
export { liveActivityWarnings } from './live-activity-lint.js';
