export * from './client.js';
export * from './client-options.js';
export { SESSION_CLOSE_REASONS, type SessionCloseReason } from './session-owner.js';
