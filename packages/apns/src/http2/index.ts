export * from './client.js';
export * from './client-options.js';
export * from './http2-pool.js';
export { SESSION_CLOSE_REASONS, type SessionCloseReason } from './session-owner.js';
