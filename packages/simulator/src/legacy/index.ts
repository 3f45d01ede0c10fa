/** The legacy binary gateway and feedback service (docs/protocol/legacy-binary.md). */
export { FeedbackList } from './feedback-list.js';
export type { GatewayTls } from './gateway-tls.js';
export * from './legacy-gateway-options.js';
export * from './legacy-recorder.js';
export * from './start-feedback-service.js';
export { type LegacyGateway, startLegacyGateway } from './start-legacy-gateway.js';
export * from './start-legacy-services.js';
