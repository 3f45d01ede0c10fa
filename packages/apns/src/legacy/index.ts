export * from './error-response.js';
export * from './feedback-tuple.js';
export * from './frame-decoder.js';
export * from './frame-encoder.js';
export * from './resend-buffer.js';
export * from './wire.js';
