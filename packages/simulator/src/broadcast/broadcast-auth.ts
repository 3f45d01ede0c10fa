/**
 * Authentication and the bundle-id step shared by the management and broadcast routes (E.7.1 steps 4-5):
 *
 *   token: see token-connection-auth.ts                 403 MissingProviderToken, InvalidProviderToken,
 *                                                        ExpiredProviderToken, BadEnvironmentKeyIdInToken,
 *                                                        UnrelatedKeyIdInToken, 429 TooManyProviderTokenUpdates
 *   certificate: problem, or refused by the switch      403 BadCertificate(Environment), MissingProviderToken
 *   bundle id with a `.push-type.*` suffix               400 TopicDisallowed
 *   not covered by the key / team / certificate          403 TopicMismatch (also upper case, with the quirk switch)
 */
import { type BroadcastReason, isBroadcastReason } from '@pushfleet/apns';
import type { ConnectionCredentials } from '../server/request-validator.js';
import type { BroadcastSettings } from './broadcast-options.js';

export interface BundleAuthConfig {
  readonly settings: BroadcastSettings;
  /** Bundle ids per team for token connections; `undefined` accepts any. */
  readonly teamTopics: ((teamId: string) => ReadonlySet<string> | undefined) | undefined;
}

export function authorizeBundle(
  creds: ConnectionCredentials,
  authorization: string | undefined,
  bundleId: string,
  config: BundleAuthConfig,
  nowMs: number,
): BroadcastReason | undefined {
  let covered: boolean;
  if (creds.kind === 'token') {
    const key = creds.auth.authenticate(authorization, nowMs);
    if (typeof key === 'string') return isBroadcastReason(key) ? key : 'InvalidProviderToken';
    const team = config.teamTopics?.(key.teamId);
    covered =
      (key.topics === undefined || key.topics.has(bundleId)) &&
      (config.teamTopics === undefined || team?.has(bundleId) === true);
  } else {
    if (config.settings.certificateAuth === 'refuse') return 'MissingProviderToken';
    const identity = creds.identity;
    if (identity.problem !== undefined) return identity.problem;
    covered = identity.topics.has(bundleId);
  }
  if (bundleId.includes('.push-type.')) return 'TopicDisallowed';
  if (config.settings.upperCaseTopicMismatch && /[A-Z]/.test(bundleId)) return 'TopicMismatch';
  return covered ? undefined : 'TopicMismatch';
}
