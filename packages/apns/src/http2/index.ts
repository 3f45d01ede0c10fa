export * from './client-options.js';
export { SESSION_CLOSE_REASONS, type SessionCloseReason } from './close-reasons.js';
export * from './http2-pool.js';
