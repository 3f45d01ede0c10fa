/** Messages between the benchmark's parent and its client child processes. */
import type { ProviderKey } from '@pushfleet/simulator/certificates';

/** What one client child runs. */
export interface ClientJob {
  readonly name: string;
  /** The simulator's token endpoint. */
  readonly url: string;
  /** PEM of the simulator's CA. */
  readonly ca: string;
  readonly key: ProviderKey;
  readonly topic: string;
  /** Measured notifications. */
  readonly requests: number;
  /** Notifications kept in flight. */
  readonly window: number;
  /** Unmeasured notifications first, on the same connections. */
  readonly warmup: number;
  /** Connections, for the clients that take a number (ours, node-apn-multi, bare); the others hold one. */
  readonly connections: number;
}

/** What it reports. */
export interface ClientReport {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerNotification: number;
  readonly peakRssBytes: number;
  /** Measured notifications that were not answered 200. */
  readonly failed: number;
  readonly seconds: number;
}
