/** The APNs HTTP/2 simulator. */
export type { CertificateIdentity } from './certificate-identity.js';
export * from './device-registry.js';
export * from './fault-injector.js';
export type { RegisteredKey, SimulatorKey } from './key-store.js';
export { createPrng } from './prng.js';
export * from './recorder.js';
export * from './rule-book.js';
export * from './simulator-options.js';
export * from './start-simulator.js';
