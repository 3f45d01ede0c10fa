/** What the broadcast and management routes share: switches, channel state, forced answers, faults, recorder. */
import { type BroadcastReason, isBroadcastReason } from '@pushfleet/apns';
import type { FaultInjector } from '../server/fault-injector.js';
import type { ConnectionCredentials } from '../server/request-validator.js';
import type { BundleAuthConfig } from './broadcast-auth.js';
import type { BroadcastHead } from './broadcast-head.js';
import type { BroadcastSettings } from './broadcast-options.js';
import type { BroadcastRecorder } from './broadcast-recorder.js';
import type { BroadcastOperation, BroadcastRuleBook } from './broadcast-rules.js';
import type { ChannelStore } from './channel-store.js';

export interface RouteContext {
  readonly settings: BroadcastSettings;
  readonly channels: ChannelStore;
  readonly rules: BroadcastRuleBook;
  readonly faults: FaultInjector;
  readonly recorder: BroadcastRecorder;
  readonly auth: BundleAuthConfig;
}

/** One request on a broadcast or management route. */
export interface RouteRequest {
  readonly head: BroadcastHead;
  readonly raw: readonly string[];
  readonly body: Buffer;
  readonly bodyLength: number;
  readonly creds: ConnectionCredentials;
  readonly connectionId: number;
  readonly now: number;
  /** The `apns-request-id` the answer carries: the client's, or one generated. */
  readonly requestId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A registered rule, else a random 429/500/503 fault (fault-injector.ts), with the 503 spelling switch. */
export function forcedReason(
  ctx: RouteContext,
  operation: BroadcastOperation,
  bundleId: string,
  channelId: string | undefined,
): BroadcastReason | undefined {
  const ruled = ctx.rules.match(operation, bundleId, channelId);
  if (ruled !== undefined) return ruled;
  const fault = ctx.faults.pick();
  if (fault === undefined) return undefined;
  if (fault === 'ServiceUnavailable') return ctx.settings.serviceUnavailableReason;
  return isBroadcastReason(fault) ? fault : 'InternalServerError';
}

/** Push types compare case-insensitively unless the switch says otherwise. */
export function samePushType(ctx: RouteContext, sent: string, expected: string): boolean {
  return ctx.settings.caseSensitivePushType
    ? sent === expected
    : sent.toLowerCase() === expected.toLowerCase();
}
