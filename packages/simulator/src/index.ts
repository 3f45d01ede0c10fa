/**
 * @pushfleet/simulator: a faithful APNs HTTP/2 server for tests, demos and benchmarks, and the throwaway
 * credentials to talk to it. Certificates alone are also at `@pushfleet/simulator/certificates`.
 */
export * from './broadcast/index.js';
export * from './certs/index.js';
export * from './legacy/index.js';
export * from './server/index.js';
