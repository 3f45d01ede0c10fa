/** The APNs HTTP/2 simulator. */
export type { CertificateIdentity } from './certificate-identity.js';
export {
  type DeadReason,
  DeviceRegistry,
  type DeviceState,
  type MarkDeadOptions,
} from './device-registry.js';
export {
  DEFAULT_WINDOW_SIZE,
  type FaultConfig,
  type FaultCounters,
  FaultInjector,
  type FaultTarget,
  type LatencyDistribution,
  type StreamFate,
} from './fault-injector.js';
export type { RegisteredKey, SimulatorKey } from './key-store.js';
export { createPrng } from './prng.js';
export {
  type RecordedNotification,
  type RecordedRejection,
  Recorder,
  type RecorderCounters,
  type RecordMode,
  type WaitForOptions,
} from './recorder.js';
export { RuleBook, type RuleHandle, type SimulatorRule } from './rule-book.js';
export {
  DEFAULT_SIMULATOR_OPTIONS,
  type SimulatorKeys,
  type SimulatorOptions,
  type SimulatorTls,
} from './simulator-options.js';
export { type Simulator, type SimulatorCredentials, startSimulator } from './start-simulator.js';
