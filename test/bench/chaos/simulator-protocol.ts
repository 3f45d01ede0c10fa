/** The IPC requests between the chaos runner and its simulator process (simulator-process.ts). */
import type { Reason } from '@pushfleet/apns';
import type { FaultConfig, FaultCounters, SimulatorTls } from '@pushfleet/simulator';

export interface ChaosAppEndpoint {
  readonly name: string;
  readonly topic: string;
}

export type SimulatorRequest =
  | {
      readonly op: 'start';
      readonly tls: SimulatorTls;
      readonly key: { readonly keyId: string; readonly teamId: string; readonly publicKeyPem: string };
      readonly apps: readonly ChaosAppEndpoint[];
      /** Every app's simulator starts with these (each with its own seed). */
      readonly faults: FaultConfig;
    }
  /** Replace one app's simulator's faults (fields left out are off). */
  | { readonly op: 'faults'; readonly app: string; readonly faults: FaultConfig }
  /** These tokens are dead at Apple: 410 Unregistered. */
  | { readonly op: 'markDead'; readonly app: string; readonly tokens: readonly string[] }
  /** These tokens' notifications are refused with `reason` (a permanent 4xx). */
  | {
      readonly op: 'reject';
      readonly app: string;
      readonly tokens: readonly string[];
      readonly reason: Reason;
    }
  | { readonly op: 'counters' }
  /** Every apns-id accepted, with how many times, over all apps. */
  | { readonly op: 'acceptedIds' }
  | { readonly op: 'stop' };

export interface SimulatorCounters {
  readonly accepted: number;
  readonly apps: Record<string, { accepted: number; rejected: number; faults: FaultCounters }>;
}
