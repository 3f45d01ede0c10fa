/**
 * The request checks, returning the first failure (Apple answers one reason per request). Apple documents no
 * order; this one is ours [Ours], and packages/simulator/README.md lists it for users:
 *
 *   1 :method ≠ POST                                      405 MethodNotAllowed
 *   2 a header field twice                                400 DuplicateHeaders
 *   3 apns-id not a canonical UUID                        400 BadMessageId
 *   4 :path ≠ /3/device/<token>                           404 BadPath
 *     empty token                                         400 MissingDeviceToken
 *     not even-length hex of 64–200 digits                400 BadDeviceToken            [Ours]
 *   5 auth (token: see token-connection-auth.ts;          403 …, 429 TooManyProviderTokenUpdates
 *           certificate: see certificate-identity.ts)
 *   6 topic absent (token conn., multi-topic cert)        400 MissingTopic
 *     topic-scoped key, topic outside its list            403 InvalidProviderToken      [Ours]
 *     not the team's / not in the certificate             400 BadTopic
 *     registered as disallowed                            400 TopicDisallowed
 *   7 apns-push-type unknown or wrong topic suffix        400 InvalidPushType               [Ours]
 *     liveactivity on a certificate connection            400 BadTopic                      [Ours]
 *     apns-priority ∉ {10,5,1}, or 10 with background     400 BadPriority
 *     apns-expiration not a non-negative integer          400 BadExpirationDate
 *     apns-collapse-id over 64 bytes                      400 BadCollapseId
 *   8 empty body                                          400 PayloadEmpty
 *     over 4096 bytes (5120 for voip)                     413 PayloadTooLarge
 *     not a JSON object with an `aps` object              400 `invalidPayloadReason`    [Ours] (PayloadEmpty)
 *   9 token state (device-registry.ts)                    400 BadDeviceToken, 410 Unregistered|ExpiredToken,
 *                                                         400 DeviceTokenNotForTopic
 *  10 registered rules, then random faults                any reason; 429/500/503
 */
import {
  MAX_COLLAPSE_ID_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_VOIP_PAYLOAD_BYTES,
  PUSH_TYPE_TOPIC_SUFFIX,
  PUSH_TYPES,
  type PushType,
  type Reason,
} from '@pushfleet/apns';
import type { CertificateEnvironment } from '../certs/apple-oids.js';
import type { CertificateIdentity } from './certificate-identity.js';
import type { DeviceRegistry } from './device-registry.js';
import type { FaultInjector } from './fault-injector.js';
import type { RequestHead } from './request-head.js';
import type { RuleBook } from './rule-book.js';
import type { TokenConnectionAuth } from './token-connection-auth.js';

export interface ValidatorConfig {
  readonly environment: CertificateEnvironment;
  /** Bundle ids per team for token connections; `undefined` accepts any topic. */
  readonly teamTopics: ((teamId: string) => ReadonlySet<string> | undefined) | undefined;
  readonly disallowedTopics: ReadonlySet<string>;
  readonly invalidPayloadReason: Reason;
  readonly devices: DeviceRegistry;
  readonly rules: RuleBook;
  readonly faults: FaultInjector;
}

/** How the connection authenticates: a provider token per request, or its client certificate. */
export type ConnectionCredentials =
  | { readonly kind: 'token'; readonly auth: TokenConnectionAuth }
  | { readonly kind: 'certificate'; readonly identity: CertificateIdentity };

/** A request under validation; the validator fills in what it resolved. */
export interface PendingRequest {
  readonly head: RequestHead;
  /** The body bytes kept (all of them, unless the body is far over every limit). */
  readonly body: Buffer;
  /** The body's full length in bytes. */
  readonly bodyLength: number;
  token: string;
  topic: string;
  teamId: string | undefined;
  payload: string;
  /** 410 only: ms since the epoch. */
  timestamp: number | undefined;
}

const PATH_PREFIX = '/3/device/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-fA-F]+$/;
const EXPIRATION = /^\d{1,16}$/;
const PUSH_TYPE_SET: ReadonlySet<string> = new Set(PUSH_TYPES);
/** Known topic suffixes, longest first. */
const SUFFIXES = [...new Set(Object.values(PUSH_TYPE_TOPIC_SUFFIX))]
  .filter((s) => s.length > 0)
  .sort((a, b) => b.length - a.length);

/** Whether `id` is a canonical UUID (8-4-4-4-12 hex; either case is accepted [Ours]). */
export function isApnsId(id: string): boolean {
  return UUID.test(id);
}

/** The push-type suffix a topic carries ('' for a bare bundle id). */
export function topicSuffix(topic: string): string {
  for (const s of SUFFIXES) if (topic.endsWith(s) && topic.length > s.length) return s;
  return '';
}

export class RequestValidator {
  constructor(readonly config: ValidatorConfig) {}

  validate(req: PendingRequest, creds: ConnectionCredentials, nowMs: number): Reason | undefined {
    const { head } = req;
    if (head.method !== 'POST') return 'MethodNotAllowed';
    if (head.duplicate) return 'DuplicateHeaders';
    if (head.apnsId !== undefined && !isApnsId(head.apnsId)) return 'BadMessageId';
    const path = head.path;
    if (path === undefined || !path.startsWith(PATH_PREFIX)) return 'BadPath';
    const token = path.slice(PATH_PREFIX.length);
    if (token.length === 0) return 'MissingDeviceToken';
    if (token.length < 64 || token.length > 200 || (token.length & 1) === 1 || !HEX.test(token)) {
      return 'BadDeviceToken';
    }
    req.token = token;

    // 5-6: auth, then topic.
    const topicReason =
      creds.kind === 'token' ? this.#tokenAuth(req, creds.auth, nowMs) : this.#certAuth(req, creds.identity);
    if (topicReason !== undefined) return topicReason;
    const topic = req.topic;
    const suffix = topicSuffix(topic);

    // 7: headers.
    const pushType = head.pushType;
    if (pushType !== undefined) {
      if (!PUSH_TYPE_SET.has(pushType)) return 'InvalidPushType';
      // Live Activities take token auth only [Apple]; Apple names no error, B.11's is the closest.
      if (pushType === 'liveactivity' && creds.kind === 'certificate') return 'BadTopic';
      if (pushType !== 'mdm' && PUSH_TYPE_TOPIC_SUFFIX[pushType as PushType] !== suffix)
        return 'InvalidPushType';
    }
    const priority = head.priority;
    if (priority !== undefined) {
      if (priority !== '10' && priority !== '5' && priority !== '1') return 'BadPriority';
      if (priority === '10' && pushType === 'background') return 'BadPriority';
    }
    if (head.expiration !== undefined && !EXPIRATION.test(head.expiration)) return 'BadExpirationDate';
    if (head.collapseId !== undefined && head.collapseId.length > MAX_COLLAPSE_ID_BYTES)
      return 'BadCollapseId';

    // 8: body.
    if (req.bodyLength === 0) return 'PayloadEmpty';
    const voip = pushType === 'voip' || (pushType === undefined && suffix === PUSH_TYPE_TOPIC_SUFFIX.voip);
    if (req.bodyLength > (voip ? MAX_VOIP_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES)) return 'PayloadTooLarge';
    req.payload = req.body.toString('utf8');
    if (!isNotificationPayload(req.payload)) return this.config.invalidPayloadReason;

    // 9: token state.
    const { devices, rules, faults } = this.config;
    if (devices.size > 0) {
      const state = devices.get(token);
      if (state !== undefined) {
        if (state.environment !== undefined && state.environment !== this.config.environment)
          return 'BadDeviceToken';
        if (state.dead !== undefined) {
          req.timestamp = state.dead.timestamp;
          return state.dead.reason;
        }
        const base = topic.slice(0, topic.length - suffix.length);
        if (state.topic !== undefined && state.topic !== base && state.topic !== topic)
          return 'DeviceTokenNotForTopic';
      }
    }

    // 10: rules, faults.
    if (rules.size > 0) {
      const rule = rules.match(token.toLowerCase(), topic);
      if (rule !== undefined) {
        req.timestamp = rule.timestamp ?? nowMs;
        return rule.reason;
      }
    }
    return faults.pick();
  }

  #tokenAuth(req: PendingRequest, auth: TokenConnectionAuth, nowMs: number): Reason | undefined {
    const key = auth.authenticate(req.head.authorization, nowMs);
    if (typeof key === 'string') return key;
    req.teamId = key.teamId;
    const topic = req.head.topic;
    if (topic === undefined || topic.length === 0) return 'MissingTopic';
    req.topic = topic;
    const base = topic.slice(0, topic.length - topicSuffix(topic).length);
    if (key.topics !== undefined && !key.topics.has(base) && !key.topics.has(topic))
      return 'InvalidProviderToken';
    const disallowed = this.config.disallowedTopics;
    const isDisallowed = disallowed.size > 0 && (disallowed.has(topic) || disallowed.has(base));
    const allowed = this.config.teamTopics?.(key.teamId);
    if (
      this.config.teamTopics !== undefined &&
      !isDisallowed &&
      !allowed?.has(base) &&
      !allowed?.has(topic)
    ) {
      return 'BadTopic';
    }
    return isDisallowed ? 'TopicDisallowed' : undefined;
  }

  #certAuth(req: PendingRequest, identity: CertificateIdentity): Reason | undefined {
    if (identity.problem !== undefined) return identity.problem;
    req.teamId = identity.teamId;
    let topic = req.head.topic;
    if (topic === undefined || topic.length === 0) {
      if (identity.multiTopic || identity.uid === undefined) return 'MissingTopic';
      topic = identity.uid;
    }
    req.topic = topic;
    if (!identity.topics.has(topic)) return 'BadTopic';
    if (this.config.disallowedTopics.has(topic)) return 'TopicDisallowed';
    return undefined;
  }
}

/** A JSON dictionary holding an `aps` dictionary (Apple's "Generating a remote notification"). */
function isNotificationPayload(payload: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const aps = (value as { aps?: unknown }).aps;
  return typeof aps === 'object' && aps !== null && !Array.isArray(aps);
}
