/** The legacy binary gateway and feedback service (docs/protocol/legacy-binary.md). */
export { FeedbackList } from './feedback-list.js';
export type { GatewayTls } from './gateway-tls.js';
export {
  checkFaults,
  DEFAULT_LEGACY_GATEWAY_OPTIONS,
  type LegacyFaults,
  type LegacyGatewayOptions,
} from './legacy-gateway-options.js';
export {
  type LegacyRecordedNotification,
  type LegacyRecordedRejection,
  LegacyRecorder,
  type LegacyRecorderCounters,
} from './legacy-recorder.js';
export {
  type FeedbackService,
  type FeedbackServiceOptions,
  startFeedbackService,
} from './start-feedback-service.js';
export { type LegacyGateway, startLegacyGateway } from './start-legacy-gateway.js';
export {
  type LegacyServices,
  type LegacyServicesOptions,
  startLegacyServices,
} from './start-legacy-services.js';
