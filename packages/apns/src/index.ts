export * from './auth/index.js';
export * from './credentials/index.js';
export * from './errors.js';
export * from './http2/index.js';
export * from './legacy/index.js';
export * from './listener.js';
export * from './reasons.js';
export * from './types.js';
