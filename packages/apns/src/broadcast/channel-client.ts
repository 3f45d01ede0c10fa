/**
 * The channel-management API (docs/protocol/broadcast.md E.2) over its own HTTP/2 connection to the management
 * host (sandbox `api-manage-broadcast.sandbox.push.apple.com:2195`, production `...push.apple.com:2196`):
 *
 *   create  POST   /1/apps/<bundle>/channels      {"message-storage-policy": 0|1, "push-type": "LiveActivity"}
 *   read    GET    /1/apps/<bundle>/channels      apns-channel-id
 *   delete  DELETE /1/apps/<bundle>/channels      apns-channel-id
 *   list    GET    /1/apps/<bundle>/all-channels
 *
 * Every answer is a {@link BroadcastVerdict} (Apple's reason classified); TransportError means no answer.
 *
 * A create is never retried blindly: it is not idempotent and APNs takes no key, so a create whose answer was
 * lost may have made a channel that counts toward the 10,000 limit. `create` lists the app's channels first;
 * when the create gets no answer it lists again, and a channel that was not there before is the one it made
 * (`reconciled: true`). No new channel: `outcome: 'retry'`, reason `NoAnswer` (a create still in flight at APNs
 * may land later; a sync, listing against the caller's own records, finds it). Several
 * (another creator raced us): `outcome: 'rejected'`, reason `AmbiguousReconciliation`, every one in
 * `candidates` so the caller records them rather than leaks them.
 */
import { ApnsValidationError, TransportError } from '../errors.js';
import {
  type BroadcastVerdict,
  CHANNEL_PUSH_TYPE,
  type ChannelConfig,
  type StoragePolicy,
} from './broadcast-types.js';
import { topicSuffixOf } from './bundle-id.js';
import { RouteClient, type RouteClientOptions } from './route-client.js';

export interface CreateChannelOptions {
  /** 0 No Message Stored, 1 Most Recent Message Stored; fixed for the channel's life. */
  readonly storagePolicy: StoragePolicy;
  /** `apns-request-id`. @defaultValue a random UUID */
  readonly requestId?: string | undefined;
}

export interface ChannelCreateResult extends BroadcastVerdict {
  /** Found by listing after the create got no answer. */
  readonly reconciled?: boolean | undefined;
  /** AmbiguousReconciliation: every channel that appeared while the create went unanswered. */
  readonly candidates?: readonly string[] | undefined;
}

export interface ChannelReadResult extends BroadcastVerdict {
  readonly config?: ChannelConfig | undefined;
}

export interface ChannelListResult extends BroadcastVerdict {
  /** Live channel ids (empty unless `ok`). */
  readonly channels: readonly string[];
}

/** Listing after an unanswered create: attempts, and the pause between them. */
const RECONCILE_ATTEMPTS = 3;
const RECONCILE_PAUSE_MS = 200;

export class ChannelClient implements AsyncDisposable {
  readonly #route: RouteClient;

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: RouteClientOptions) {
    this.#route = new RouteClient(options);
  }

  /** Let open requests finish, then close the connection. Idempotent. */
  close(): Promise<void> {
    return this.#route.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async create(bundleId: string, options: CreateChannelOptions): Promise<ChannelCreateResult> {
    const path = channelsPath(bundleId);
    if (options.storagePolicy !== 0 && options.storagePolicy !== 1)
      throw new ApnsValidationError('storagePolicy', `must be 0 or 1, got ${String(options.storagePolicy)}`);
    const before = await this.list(bundleId);
    if (before.outcome !== 'ok') return before;
    const body = JSON.stringify({
      'message-storage-policy': options.storagePolicy,
      'push-type': CHANNEL_PUSH_TYPE,
    });
    let failure: TransportError;
    try {
      const { verdict } = await this.#route.send({ method: 'POST', path, body }, options.requestId);
      if (verdict.outcome !== 'ok' || verdict.channelId !== undefined) return verdict;
      failure = new TransportError('PROTOCOL', 'create answered 2xx without apns-channel-id');
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      failure = error;
    }
    return this.#reconcile(bundleId, new Set(before.channels), failure);
  }

  async read(bundleId: string, channelId: string): Promise<ChannelReadResult> {
    const { verdict, answer } = await this.#route.send({
      method: 'GET',
      path: channelsPath(bundleId),
      headers: [['apns-channel-id', checkChannelId(channelId)]],
    });
    if (verdict.outcome !== 'ok') return verdict;
    const json = parseJson(answer.body) as { 'message-storage-policy'?: unknown; 'push-type'?: unknown };
    const policy = json?.['message-storage-policy'];
    const pushType = json?.['push-type'];
    if ((policy !== 0 && policy !== 1) || typeof pushType !== 'string')
      throw new TransportError('PROTOCOL', 'read answered without message-storage-policy and push-type');
    return { ...verdict, config: { storagePolicy: policy, pushType } };
  }

  async delete(bundleId: string, channelId: string): Promise<BroadcastVerdict> {
    const { verdict } = await this.#route.send({
      method: 'DELETE',
      path: channelsPath(bundleId),
      headers: [['apns-channel-id', checkChannelId(channelId)]],
    });
    return verdict;
  }

  async list(bundleId: string): Promise<ChannelListResult> {
    const { verdict, answer } = await this.#route.send({
      method: 'GET',
      path: `/1/apps/${bundlePath(bundleId)}/all-channels`,
    });
    if (verdict.outcome !== 'ok') return { ...verdict, channels: [] };
    const channels = (parseJson(answer.body) as { channels?: unknown } | undefined)?.channels;
    if (!Array.isArray(channels) || !channels.every((c) => typeof c === 'string'))
      throw new TransportError('PROTOCOL', 'all-channels answered without a "channels" array of strings');
    return { ...verdict, channels };
  }

  async #reconcile(
    bundleId: string,
    before: ReadonlySet<string>,
    failure: TransportError,
  ): Promise<ChannelCreateResult> {
    let after: ChannelListResult | undefined;
    for (let attempt = 1; attempt <= RECONCILE_ATTEMPTS; attempt++) {
      try {
        after = await this.list(bundleId);
        if (after.outcome === 'ok') break;
      } catch (error) {
        if (!(error instanceof TransportError) || attempt === RECONCILE_ATTEMPTS) throw failure;
      }
      await new Promise((r) => setTimeout(r, RECONCILE_PAUSE_MS * attempt));
    }
    if (after === undefined || after.outcome !== 'ok') throw failure;
    const appeared = after.channels.filter((id) => !before.has(id));
    const base = { status: 0, requestId: after.requestId, action: undefined } as const;
    if (appeared.length === 1) return { ...base, outcome: 'ok', channelId: appeared[0], reconciled: true };
    if (appeared.length === 0) return { ...base, outcome: 'retry', action: 'retry', reason: 'NoAnswer' };
    return {
      ...base,
      outcome: 'rejected',
      action: 'fix',
      reason: 'AmbiguousReconciliation',
      candidates: appeared,
    };
  }
}

function channelsPath(bundleId: string): string {
  return `/1/apps/${bundlePath(bundleId)}/channels`;
}

/** The bare bundle id, exactly as registered (no `.push-type.*` suffix: APNs answers TopicDisallowed). */
export function bundlePath(bundleId: string): string {
  if (typeof bundleId !== 'string' || bundleId.length === 0)
    throw new ApnsValidationError('bundleId', 'is required');
  if (/[/?#\s]/.test(bundleId))
    throw new ApnsValidationError('bundleId', 'must not contain /, ?, # or spaces');
  const suffix = topicSuffixOf(bundleId);
  if (suffix !== '')
    throw new ApnsValidationError(
      'bundleId',
      `must be the bare bundle id, without the topic suffix ${suffix}`,
    );
  return bundleId;
}

function checkChannelId(channelId: string): string {
  if (typeof channelId !== 'string' || channelId.length === 0)
    throw new ApnsValidationError('channelId', 'is required');
  return channelId;
}

function parseJson(body: Buffer | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
