/**
 * The channel-management API (docs/protocol/broadcast.md E.2, E.7.1), first failure wins:
 *
 *   1 :path not /1/apps/{bundle}/channels | all-channels        404 BadPath
 *     a known path, another method                              405 MethodNotAllowed
 *   2 a header twice                                            400 DuplicateHeaders
 *   3 apns-request-id not a UUID (strictRequestId only)         400 BadMessageId
 *   4-5 auth, bundle id (broadcast-auth.ts)                     403 …, 400 TopicDisallowed, 403 TopicMismatch
 *   6 Broadcast Capability off                                  400 FeatureNotEnabled
 *   7 create: body unparseable or empty                         400 BadRequestPayload
 *             an unknown key                                    400 BadRequestParams
 *             message-storage-policy missing or not 0|1         400 MissingChannelQueueSize
 *             push-type missing / not LiveActivity              400 MissingPushType / InvalidPushType
 *             channelLimit reached                              400 CannotCreateChannelConfig
 *     read, delete: apns-channel-id missing / malformed         400 MissingChannelId / BadChannelId
 *             unknown or deleted                                400 ChannelNotRegistered
 *   8 rules, then random faults                                 429 / 500 / 503
 *   then  create 201 + apns-channel-id | read 200 {policy, push-type} | delete 204 | list 200 {"channels": [...]}
 */
import { CHANNEL_PUSH_TYPE, type StoragePolicy } from '@pushfleet/apns';
import { authorizeBundle } from './broadcast-auth.js';
import { isChannelId } from './broadcast-head.js';
import type { BroadcastOperation } from './broadcast-rules.js';
import { type RouteAnswer, rejection } from './route-answer.js';
import { forcedReason, isUuid, type RouteContext, type RouteRequest, samePushType } from './route-context.js';

const PATH = /^\/1\/apps\/([^/?]+)\/(channels|all-channels)$/;
const CREATE_KEYS = new Set(['message-storage-policy', 'push-type']);

export interface ManagementResult {
  readonly answer: RouteAnswer;
  readonly operation: BroadcastOperation | undefined;
  /** Wait this long before answering (createAnswerDelayMs on a successful create). */
  readonly delayMs: number;
}

export function answerManagement(req: RouteRequest, ctx: RouteContext): ManagementResult {
  const { head } = req;
  const match = PATH.exec(head.path ?? '');
  if (match === null) return { answer: rejection('BadPath'), operation: undefined, delayMs: 0 };
  const bundleId = decodeURIComponent(match[1]!);
  const operation = operationOf(head.method, match[2] === 'all-channels');
  const fail = (reason: Parameters<typeof rejection>[0]): ManagementResult => ({
    answer: rejection(reason),
    operation,
    delayMs: 0,
  });
  if (operation === undefined) return fail('MethodNotAllowed');
  if (head.duplicate) return fail('DuplicateHeaders');
  if (ctx.settings.strictRequestId && head.requestId !== undefined && !isUuid(head.requestId))
    return fail('BadMessageId');
  const denied = authorizeBundle(req.creds, head.authorization, bundleId, ctx.auth, req.now);
  if (denied !== undefined) return fail(denied);
  const { channels } = ctx;
  if (!channels.capabilityOn(bundleId)) return fail('FeatureNotEnabled');

  if (operation === 'create') {
    const body = parseCreateBody(req.body, req.bodyLength, ctx);
    if (typeof body === 'string') return fail(body);
    if (channels.count(bundleId) >= channels.limit) return fail('CannotCreateChannelConfig');
    const forced = forcedReason(ctx, operation, bundleId, undefined);
    if (forced !== undefined) return fail(forced);
    const channel = channels.create(bundleId, body.storagePolicy, CHANNEL_PUSH_TYPE, req.now);
    if (channel === undefined) return fail('CannotCreateChannelConfig');
    return {
      answer: { status: ctx.settings.createStatus, headers: { 'apns-channel-id': channel.id } },
      operation,
      delayMs: ctx.settings.createAnswerDelayMs,
    };
  }
  if (operation === 'list') {
    const forced = forcedReason(ctx, operation, bundleId, undefined);
    if (forced !== undefined) return fail(forced);
    return {
      answer: { status: 200, body: JSON.stringify({ channels: channels.list(bundleId) }) },
      operation,
      delayMs: 0,
    };
  }
  const id = head.channelId;
  if (id === undefined || id.length === 0) return fail('MissingChannelId');
  if (!isChannelId(id)) return fail('BadChannelId');
  const channel = channels.live(bundleId, id);
  if (channel === undefined) return fail('ChannelNotRegistered');
  const forced = forcedReason(ctx, operation, bundleId, id);
  if (forced !== undefined) return fail(forced);
  if (operation === 'delete') {
    channels.delete(channel, req.now);
    return { answer: { status: 204 }, operation, delayMs: 0 };
  }
  const config = { 'message-storage-policy': channel.storagePolicy, 'push-type': channel.pushType };
  return { answer: { status: 200, body: JSON.stringify(config) }, operation, delayMs: 0 };
}

function operationOf(method: string | undefined, allChannels: boolean): BroadcastOperation | undefined {
  if (allChannels) return method === 'GET' ? 'list' : undefined;
  if (method === 'POST') return 'create';
  if (method === 'GET') return 'read';
  if (method === 'DELETE') return 'delete';
  return undefined;
}

type CreateFailure =
  | 'BadRequestPayload'
  | 'BadRequestParams'
  | 'MissingChannelQueueSize'
  | 'MissingPushType'
  | 'InvalidPushType';

function parseCreateBody(
  body: Buffer,
  length: number,
  ctx: RouteContext,
): { storagePolicy: StoragePolicy } | CreateFailure {
  if (length === 0) return 'BadRequestPayload';
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return 'BadRequestPayload';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'BadRequestPayload';
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!CREATE_KEYS.has(key)) return 'BadRequestParams';
  const policy = fields['message-storage-policy'];
  if (policy !== 0 && policy !== 1) return 'MissingChannelQueueSize';
  const pushType = fields['push-type'];
  if (pushType === undefined) return 'MissingPushType';
  if (typeof pushType !== 'string' || !samePushType(ctx, pushType, CHANNEL_PUSH_TYPE))
    return 'InvalidPushType';
  return { storagePolicy: policy };
}
