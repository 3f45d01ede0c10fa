import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../server/device-registry.js';
import { FeedbackList } from './feedback-list.js';

const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const C = 'cc'.repeat(32);

describe('FeedbackList', () => {
  it('lists dead tokens of the topic (or of no topic) in seconds, oldest first, once', () => {
    const devices = new DeviceRegistry();
    const list = new FeedbackList(devices);
    devices.markDead(B, { timestamp: 2_000_999 });
    devices.markDead(A.toUpperCase(), { timestamp: 1_000_000 });
    devices.markDead(C, { timestamp: 3_000_000 });
    devices.markForTopic(C, 'com.other');
    devices.markForTopic('dd'.repeat(32), 'com.app'); // alive
    expect(list.peek('com.app')).toEqual([
      { token: A, timestamp: 1000 },
      { token: B, timestamp: 2000 },
    ]);
    expect(list.take('com.app')).toHaveLength(2);
    expect(list.take('com.app')).toEqual([]);
    // A and B belong to no app: every topic's list carries them; C only com.other's.
    expect(list.take('com.other').map((t) => t.token)).toEqual([A, B, C]);
    devices.markDead(A, { timestamp: 5_000_000 });
    expect(list.take('com.app')).toEqual([{ token: A, timestamp: 5000 }]);
    list.reset();
    expect(list.take('com.app')).toHaveLength(2);
  });
});
