/**
 * What a chaos run does, in numbers: the full form (issue #21: 100,000 notifications for 3 apps, a 60 s
 * outage, the production retry policy) and the short CI form (`--short`: 10,000, the outage and the retry
 * policy's delays scaled down 20 times, the way test/src/delivery scales them). Faults that strike once are placed by
 * progress (the share of notifications with a final outcome), so they land under load on any machine.
 */
import type { FaultConfig } from '@pushfleet/simulator';

export interface RetryOverrides {
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly floorMs?: number;
}

export interface ChaosPlan {
  readonly form: 'full' | 'short' | 'custom';
  readonly notifications: number;
  readonly apps: readonly string[];
  readonly workers: number;
  /** Jobs in flight per app per worker; a job holds up to DEFAULT_JOB_SIZE (1,000) notifications. */
  readonly concurrency: number;
  /** On every app's simulator for the whole run. */
  readonly faults: FaultConfig;
  /** The app whose endpoint goes down, when (progress 0..1) and for how long. */
  readonly outage: { readonly app: string; readonly atProgress: number; readonly ms: number };
  /** Progress at which a worker is SIGKILLed (and restarted), another SIGTERMed (and restarted), Redis killed. */
  readonly sigkillAt: number;
  readonly sigtermAt: number;
  readonly redisKillAt: number;
  /** How long the killed Redis stays down. */
  readonly redisDownMs: number;
  /** The fleet config's `retry` for every app (undefined: the production policy). */
  readonly retry: RetryOverrides | undefined;
  /** Give up waiting for final outcomes after this long (then report what is stuck). */
  readonly timeoutMs: number;
  /** `apns-expiration` of the notifications that carry one, seconds after their enqueue. */
  readonly expiresInS: number;
}

const APPS = ['chaos-a', 'chaos-b', 'chaos-c'] as const;

/** The faults: 5% 503, 1% 429, a GOAWAY every 10,000 streams, stream resets, TCP resets, silence. */
const FULL_FAULTS: FaultConfig = {
  seed: 21,
  rate503: 0.05,
  rate429: 0.01,
  goAwayAfterStreams: 10_000,
  resetRate: 0.001,
  disconnectRate: 0.0001,
  silentDisconnectRate: 0.00003,
};

export const FULL_PLAN: ChaosPlan = {
  form: 'full',
  notifications: 100_000,
  apps: APPS,
  workers: 3,
  concurrency: 8,
  faults: FULL_FAULTS,
  outage: { app: 'chaos-c', atProgress: 0.1, ms: 60_000 },
  sigkillAt: 0.3,
  sigtermAt: 0.5,
  redisKillAt: 0.7,
  redisDownMs: 2000,
  retry: undefined,
  timeoutMs: 30 * 60_000,
  expiresInS: 30,
};

/** Durations divided by this in the short form: the 60 s outage is 3 s, the retry policy's 1 s base 50 ms. */
export const SHORT_SCALE = 20;

export const SHORT_PLAN: ChaosPlan = {
  form: 'short',
  notifications: 10_000,
  apps: APPS,
  workers: 3,
  concurrency: 4,
  // A GOAWAY every 1,000 streams so a run of ~11,000 streams sees several; rates as in the full form.
  faults: { ...FULL_FAULTS, goAwayAfterStreams: 1000, silentDisconnectRate: 0.0002 },
  outage: { app: 'chaos-c', atProgress: 0.1, ms: 60_000 / SHORT_SCALE },
  sigkillAt: 0.3,
  sigtermAt: 0.5,
  redisKillAt: 0.7,
  redisDownMs: 1000,
  retry: {
    baseDelayMs: 1000 / SHORT_SCALE,
    maxDelayMs: 300_000 / SHORT_SCALE,
    floorMs: Math.round(250 / SHORT_SCALE),
  },
  timeoutMs: 3 * 60_000,
  expiresInS: 3,
};

/** Which notifications are not meant to be delivered (their outcome is decided by design), by index. */
export const NOT_DELIVERABLE = {
  /** The token is dead at Apple: 410, `token-invalid`. */
  deadAtApple: (i: number) => i % 200 === 7,
  /** The token was recorded dead before the enqueue: `suppressed`, never sent. */
  recordedDead: (i: number) => i % 500 === 11,
  /** Apple refuses it (400 BadCollapseId): `rejected`. */
  refused: (i: number) => i % 500 === 13,
  /** Carries an `apns-expiration` `expiresInS` after its enqueue: `delivered` or `expired`, by timing. */
  expiring: (i: number) => i % 250 === 17,
} as const;

export function isDeliverable(i: number): boolean {
  return !Object.values(NOT_DELIVERABLE).some((f) => f(i));
}

export const appOf = (plan: ChaosPlan, i: number): string => plan.apps[i % plan.apps.length]!;
export const topicOf = (app: string): string => `com.example.${app.replace('-', '')}`;
export const tokenOf = (i: number): string => `${i.toString(16).padStart(8, '0')}${'c4'.repeat(28)}`;
