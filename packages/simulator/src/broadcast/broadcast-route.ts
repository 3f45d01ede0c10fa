/**
 * `POST /4/broadcasts/apps/{bundleId}` on the push ports (docs/protocol/broadcast.md E.3, E.7.2), first failure wins:
 *
 *   1 a malformed /4/ path                               404 BadPath
 *     the path with another method                       405 MethodNotAllowed
 *   2 a header twice                                     400 DuplicateHeaders
 *   3-4 auth, bundle id (broadcast-auth.ts)              403 …, 400 TopicDisallowed, 403 TopicMismatch
 *     apns-topic present (strictTopic only)              400 TopicDisallowed
 *   5 Broadcast Capability off                           400 FeatureNotEnabled
 *   6 apns-channel-id missing / malformed                400 MissingChannelId / BadChannelId
 *   7 apns-push-type missing / not liveactivity          400 MissingPushType / InvalidPushType
 *   8 apns-expiration missing (requireExpiration) or     400 BadExpirationDate
 *     not a non-negative integer
 *   9 apns-priority missing or not 10|5|1                400 BadPriority
 *  10 apns-id not a UUID                                 400 BadMessageId (also apns-request-id, strictRequestId)
 *  11 no live channel of this bundle id                  400 ChannelNotRegistered
 *  12 nonzero apns-expiration on a policy-0 channel      400 BadExpirationDate
 *  13 body empty / over 5120 bytes / not a JSON object   400 PayloadEmpty / 413 PayloadTooLarge / 400 BadRequestPayload
 *  14 rules, then random faults                          429 / 500 / 503
 *  15 200 + apns-unique-id; recorded with its lint warnings; a policy-1 channel keeps it until the earlier of
 *     apns-expiration and 8 h (expiration 0: one attempt, nothing stored)
 */
import { randomUUID } from 'node:crypto';
import { BROADCAST_PUSH_TYPE, MAX_BROADCAST_PAYLOAD_BYTES } from '@pushfleet/apns';
import { apnsHeadersOf } from '../server/request-head.js';
import { authorizeBundle } from './broadcast-auth.js';
import { isChannelId } from './broadcast-head.js';
import { MAX_STORED_MESSAGE_MS } from './channel-store.js';
import { liveActivityWarnings } from './live-activity-lint.js';
import { type RouteAnswer, rejection } from './route-answer.js';
import { forcedReason, isUuid, type RouteContext, type RouteRequest, samePushType } from './route-context.js';

const PATH = /^\/4\/broadcasts\/apps\/([^/?]+)$/;
const EXPIRATION = /^\d{1,16}$/;

/** Whether `path` belongs to the broadcast API (everything under `/4/`). */
export function isBroadcastPath(path: string | undefined): boolean {
  return path?.startsWith('/4/') === true;
}

export function answerBroadcast(req: RouteRequest, ctx: RouteContext): RouteAnswer {
  const { head } = req;
  const match = PATH.exec(head.path ?? '');
  if (match === null) return rejection('BadPath');
  if (head.method !== 'POST') return rejection('MethodNotAllowed');
  if (head.duplicate) return rejection('DuplicateHeaders');
  const bundleId = decodeURIComponent(match[1]!);
  const denied = authorizeBundle(req.creds, head.authorization, bundleId, ctx.auth, req.now);
  if (denied !== undefined) return rejection(denied);
  if (ctx.settings.strictTopic && head.topic !== undefined) return rejection('TopicDisallowed');
  if (!ctx.channels.capabilityOn(bundleId)) return rejection('FeatureNotEnabled');

  const id = head.channelId;
  if (id === undefined || id.length === 0) return rejection('MissingChannelId');
  if (!isChannelId(id)) return rejection('BadChannelId');
  if (head.pushType === undefined) return rejection('MissingPushType');
  if (!samePushType(ctx, head.pushType, BROADCAST_PUSH_TYPE)) return rejection('InvalidPushType');
  const expirationText = head.expiration ?? (ctx.settings.requireExpiration ? undefined : '0');
  if (expirationText === undefined || !EXPIRATION.test(expirationText)) return rejection('BadExpirationDate');
  const priority = head.priority;
  if (priority !== '10' && priority !== '5' && priority !== '1') return rejection('BadPriority');
  if (head.apnsId !== undefined && !isUuid(head.apnsId)) return rejection('BadMessageId');
  if (ctx.settings.strictRequestId && head.requestId !== undefined && !isUuid(head.requestId))
    return rejection('BadMessageId');
  const channel = ctx.channels.live(bundleId, id);
  if (channel === undefined) return rejection('ChannelNotRegistered');
  const expiration = Number(expirationText);
  if (channel.storagePolicy === 0 && expiration !== 0) return rejection('BadExpirationDate');

  if (req.bodyLength === 0) return rejection('PayloadEmpty');
  if (req.bodyLength > MAX_BROADCAST_PAYLOAD_BYTES) return rejection('PayloadTooLarge');
  const payload = req.body.toString('utf8');
  const json = parseObject(payload);
  if (json === undefined) return rejection('BadRequestPayload');
  const forced = forcedReason(ctx, 'broadcast', bundleId, id);
  if (forced !== undefined) return rejection(forced);

  const uniqueId = randomUUID();
  let stored = channel.stored;
  if (channel.storagePolicy === 1 && expiration > 0) {
    const expiresAt = Math.min(expiration * 1000, req.now + MAX_STORED_MESSAGE_MS);
    stored = expiresAt > req.now ? { payload, uniqueId, expiresAt } : undefined;
  }
  ctx.channels.published(channel, stored);
  const { recorder } = ctx;
  recorder.onAccepted(
    recorder.keepsRecords
      ? {
          uniqueId,
          requestId: req.requestId,
          bundleId,
          channelId: id,
          storagePolicy: channel.storagePolicy,
          headers: apnsHeadersOf(req.raw),
          payload,
          warnings: liveActivityWarnings(json, { broadcast: true, priority, topic: head.topic }),
          receivedAt: req.now,
          connectionId: req.connectionId,
          auth: req.creds.kind,
        }
      : undefined,
  );
  return { status: 200, headers: { 'apns-unique-id': uniqueId } };
}

function parseObject(payload: string): object | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
