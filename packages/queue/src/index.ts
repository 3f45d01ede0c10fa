export * from './errors.js';
export * from './fleet-config.js';
export * from './job.js';
export * from './job-status.js';
export * from './notification.js';
export * from './producer.js';
export * from './queue-keys.js';
export * from './token-registry.js';
