/**
 * The simulator's broadcast state for its one environment (docs/protocol/broadcast.md, "State the simulator
 * keeps"): per bundle id the Broadcast Capability flag and the channels, each with its storage policy, creation
 * time, deleted flag, the message a policy-1 channel keeps, and its log of broadcasts.
 *
 * Channel ids are 16 random bytes in standard base64 (24 characters with `==`), like Apple's example; an id is
 * never issued twice, deleted or not.
 */
import { randomBytes } from 'node:crypto';
import { MAX_CHANNELS_PER_APP, type StoragePolicy } from '@pushfleet/apns';

/** Most Recent Message storage ends after 8 h, or earlier at the message's `apns-expiration` [Apple CM]. */
export const MAX_STORED_MESSAGE_MS = 8 * 3600 * 1000;

export interface StoredMessage {
  readonly payload: string;
  readonly uniqueId: string;
  /** ms since the epoch after which the message is no longer delivered. */
  readonly expiresAt: number;
}

export interface Channel {
  readonly id: string;
  readonly bundleId: string;
  readonly storagePolicy: StoragePolicy;
  readonly pushType: string;
  readonly createdAt: number;
  deletedAt: number | undefined;
  /** Policy 1: the latest broadcast, until it expires (deleting the channel does not drop it [Apple CM]). */
  stored: StoredMessage | undefined;
  /** Broadcasts accepted on the channel. */
  published: number;
}

/**
 * One change to the store, as `onChange` reports it and `apply` replays it: what a simulator of several
 * processes (`pushfleet start`'s) relays between them, so each answers for every channel.
 */
export type ChannelChange =
  | { readonly kind: 'created'; readonly channel: Channel }
  | { readonly kind: 'deleted'; readonly id: string; readonly at: number }
  | {
      readonly kind: 'published';
      readonly id: string;
      readonly stored: StoredMessage | undefined;
    };

export class ChannelStore {
  /** Told of each change made through this store (not of those it `apply`s). */
  onChange: ((change: ChannelChange) => void) | undefined;
  readonly #byId = new Map<string, Channel>();
  readonly #liveCount = new Map<string, number>();
  readonly #disabled = new Set<string>();
  readonly #issued = new Set<string>();

  constructor(
    /** Live channels allowed per bundle id. */
    readonly limit = MAX_CHANNELS_PER_APP,
  ) {}

  /** Turn Broadcast Capability off for `bundleId` (requests get 400 FeatureNotEnabled); deletes its channels, as Apple does. */
  disableCapability(bundleId: string): void {
    this.#disabled.add(bundleId);
    for (const c of this.#byId.values()) if (c.bundleId === bundleId) this.#byId.delete(c.id);
    this.#liveCount.delete(bundleId);
  }

  enableCapability(bundleId: string): void {
    this.#disabled.delete(bundleId);
  }

  capabilityOn(bundleId: string): boolean {
    return !this.#disabled.has(bundleId);
  }

  /** Live channels of `bundleId`. */
  count(bundleId: string): number {
    return this.#liveCount.get(bundleId) ?? 0;
  }

  /** A new channel, or `undefined` when the bundle has reached `limit`. */
  create(bundleId: string, storagePolicy: StoragePolicy, pushType: string, now: number): Channel | undefined {
    const live = this.count(bundleId);
    if (live >= this.limit) return undefined;
    let id: string;
    do id = randomBytes(16).toString('base64');
    while (this.#issued.has(id));
    this.#issued.add(id);
    const channel: Channel = {
      id,
      bundleId,
      storagePolicy,
      pushType,
      createdAt: now,
      deletedAt: undefined,
      stored: undefined,
      published: 0,
    };
    this.#byId.set(id, channel);
    this.#liveCount.set(bundleId, live + 1);
    this.onChange?.({ kind: 'created', channel: { ...channel } });
    return channel;
  }

  /** A channel of `bundleId`, deleted ones included. */
  find(bundleId: string, id: string): Channel | undefined {
    const channel = this.#byId.get(id);
    return channel?.bundleId === bundleId ? channel : undefined;
  }

  /** A live (not deleted) channel of `bundleId`. */
  live(bundleId: string, id: string): Channel | undefined {
    const channel = this.find(bundleId, id);
    return channel?.deletedAt === undefined ? channel : undefined;
  }

  delete(channel: Channel, now: number): void {
    if (channel.deletedAt !== undefined) return;
    channel.deletedAt = now;
    this.#liveCount.set(channel.bundleId, this.count(channel.bundleId) - 1);
    this.onChange?.({ kind: 'deleted', id: channel.id, at: now });
  }

  /** A broadcast was accepted on `channel`; `stored` is the message the channel keeps now. */
  published(channel: Channel, stored: StoredMessage | undefined): void {
    channel.published++;
    channel.stored = stored;
    this.onChange?.({ kind: 'published', id: channel.id, stored });
  }

  /** Replay a change another process's store reported. */
  apply(change: ChannelChange): void {
    if (change.kind === 'created') {
      const c = change.channel;
      if (this.#byId.has(c.id)) return;
      this.#issued.add(c.id);
      this.#byId.set(c.id, { ...c });
      if (c.deletedAt === undefined) this.#liveCount.set(c.bundleId, this.count(c.bundleId) + 1);
      return;
    }
    const channel = this.#byId.get(change.id);
    if (channel === undefined) return;
    if (change.kind === 'deleted') {
      if (channel.deletedAt !== undefined) return;
      channel.deletedAt = change.at;
      this.#liveCount.set(channel.bundleId, this.count(channel.bundleId) - 1);
    } else {
      channel.published++;
      channel.stored = change.stored;
    }
  }

  /** Ids of the live channels of `bundleId`, oldest first. */
  list(bundleId: string): string[] {
    const ids: string[] = [];
    for (const c of this.#byId.values())
      if (c.bundleId === bundleId && c.deletedAt === undefined) ids.push(c.id);
    return ids;
  }

  /** The message a policy-1 channel still holds at `now` (deleted channels included), if any. */
  storedMessage(bundleId: string, id: string, now: number): StoredMessage | undefined {
    const stored = this.find(bundleId, id)?.stored;
    return stored !== undefined && stored.expiresAt > now ? stored : undefined;
  }

  clear(): void {
    this.#byId.clear();
    this.#liveCount.clear();
  }
}
