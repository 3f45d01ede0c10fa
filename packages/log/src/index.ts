export * from './create-logger.js';
export * from './outage-log.js';
