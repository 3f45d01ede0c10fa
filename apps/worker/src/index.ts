export * from './config.js';
export * from './feedback-poller.js';
export * from './fleet-worker.js';
export * from './instrumentation.js';
export * from './ops-server.js';
export * from './push-processor.js';
export * from './senders.js';
