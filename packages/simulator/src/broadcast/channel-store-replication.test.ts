import { describe, expect, it } from 'vitest';
import { ChannelStore } from './channel-store.js';

/** Two stores that hear each other's changes, as `pushfleet start`'s simulator processes do over IPC. */
function linked(): [ChannelStore, ChannelStore] {
  const a = new ChannelStore(3);
  const b = new ChannelStore(3);
  a.onChange = (change) => b.apply(structuredClone(change));
  b.onChange = (change) => a.apply(structuredClone(change));
  return [a, b];
}

describe('ChannelStore replication (onChange / apply)', () => {
  it('a channel created in one store is live in the other, with the same id, counted against the limit', () => {
    const [a, b] = linked();
    const created = a.create('com.example.app', 1, 'LiveActivity', 1000)!;
    expect(b.live('com.example.app', created.id)).toMatchObject({
      id: created.id,
      storagePolicy: 1,
      createdAt: 1000,
    });
    expect(b.list('com.example.app')).toEqual([created.id]);
    b.create('com.example.app', 0, 'LiveActivity', 1001);
    b.create('com.example.app', 0, 'LiveActivity', 1002);
    expect(a.count('com.example.app')).toBe(3);
    expect(a.create('com.example.app', 0, 'LiveActivity', 1003)).toBeUndefined(); // the limit, in both
  });

  it('a broadcast accepted in one store is published and stored in the other; a delete ends it in both', () => {
    const [a, b] = linked();
    const channel = a.create('com.example.app', 1, 'LiveActivity', 1000)!;
    const stored = { payload: '{"aps":{}}', uniqueId: 'u-1', expiresAt: 9000 };
    b.published(b.live('com.example.app', channel.id)!, stored);
    expect(a.find('com.example.app', channel.id)).toMatchObject({ published: 1, stored });
    expect(a.storedMessage('com.example.app', channel.id, 2000)).toEqual(stored);
    a.delete(channel, 3000);
    expect(b.live('com.example.app', channel.id)).toBeUndefined();
    expect(b.find('com.example.app', channel.id)?.deletedAt).toBe(3000);
    expect(b.count('com.example.app')).toBe(0);
    // Replayed twice (a relay repeats itself): no double count.
    b.apply({ kind: 'deleted', id: channel.id, at: 3000 });
    expect(b.count('com.example.app')).toBe(0);
  });
});
