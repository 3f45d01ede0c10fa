/**
 * Each app's broadcast channels, as the fleet made or found them, so operators see what they own against
 * Apple's 10,000-channel limit (per app and environment) and nothing made is forgotten:
 *
 *   {pushfleet:<app>}:channels   hash  channel id -> JSON ChannelEntry
 *
 * A deleted channel stays, marked `deletedAt` (an id is never reissued; its stored message may still be
 * delivered); `countLiveChannels` is what the `pushfleet_broadcast_channels` gauge shows.
 */
import { MAX_CHANNELS_PER_APP, type StoragePolicy } from '@pushfleet/apns';

/** Apple's limit per app and environment, for readers of the registry. */
export const CHANNEL_LIMIT = MAX_CHANNELS_PER_APP;

import { queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

export interface ChannelEntry {
  readonly id: string;
  readonly bundleId: string;
  /** `undefined` for a channel adopted by a sync (APNs' list carries no policy until read). */
  readonly storagePolicy: StoragePolicy | undefined;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly deletedAt?: number | undefined;
  /**
   * `created`: APNs answered the create; `reconciled`: the create went unanswered and listing found it;
   * `adopted`: a sync found it at APNs (made elsewhere, or leaked).
   */
  readonly source: 'created' | 'reconciled' | 'adopted';
  /** `apns-request-id` of the create. */
  readonly requestId?: string | undefined;
}

export async function recordChannel(redis: RedisClient, app: string, entry: ChannelEntry): Promise<void> {
  await redis.hset(queueKeys.channels(app), entry.id, JSON.stringify(entry));
}

export async function getChannel(
  redis: RedisClient,
  app: string,
  id: string,
): Promise<ChannelEntry | undefined> {
  const raw = await redis.hget(queueKeys.channels(app), id);
  return raw === null ? undefined : (JSON.parse(raw) as ChannelEntry);
}

/** Mark a channel deleted (kept for the record); false when the registry does not know it. */
export async function markChannelDeleted(
  redis: RedisClient,
  app: string,
  id: string,
  at = Date.now(),
): Promise<boolean> {
  const entry = await getChannel(redis, app, id);
  if (entry === undefined) return false;
  if (entry.deletedAt === undefined) await recordChannel(redis, app, { ...entry, deletedAt: at });
  return true;
}

/** Every channel of the app (deleted ones included unless `live`), oldest first. */
export async function listChannels(
  redis: RedisClient,
  app: string,
  options: { readonly live?: boolean; readonly bundleId?: string } = {},
): Promise<ChannelEntry[]> {
  const all = Object.values(await redis.hgetall(queueKeys.channels(app))).map(
    (v) => JSON.parse(v) as ChannelEntry,
  );
  return all
    .filter(
      (c) =>
        (!options.live || c.deletedAt === undefined) &&
        (options.bundleId === undefined || c.bundleId === options.bundleId),
    )
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function countLiveChannels(redis: RedisClient, app: string): Promise<number> {
  return (await listChannels(redis, app, { live: true })).length;
}
