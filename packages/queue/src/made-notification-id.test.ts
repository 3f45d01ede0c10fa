import { describe, expect, it } from 'vitest';
import {
  candidateJobId,
  isMadeIdAt,
  madeIdPrefix,
  madeNotificationId,
  newJobId,
} from './made-notification-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('made notification ids', () => {
  it('are v4 UUIDs naming their job and position; the first is the job id', () => {
    const jobId = newJobId();
    expect(jobId).toMatch(UUID_V4);
    expect(jobId.endsWith('0000')).toBe(true);
    expect(madeNotificationId(jobId, 0)).toBe(jobId);
    const made = madeNotificationId(jobId, 0x1a2b)!;
    expect(made).toMatch(UUID_V4);
    expect(made.slice(-4)).toBe('1a2b');
    expect(candidateJobId(made)).toBe(jobId);
    expect(new Set(Array.from({ length: 1000 }, (_, i) => madeNotificationId(jobId, i))).size).toBe(1000);
  });

  it('name no position past four hex digits, nor a negative or fractional one', () => {
    const jobId = newJobId();
    expect(madeNotificationId(jobId, 0xffff)?.slice(-4)).toBe('ffff');
    for (const p of [0x10000, -1, 1.5]) expect(madeNotificationId(jobId, p)).toBeUndefined();
  });

  it('are told from any other id at their place, and only at it', () => {
    const jobId = newJobId();
    const prefix = madeIdPrefix(jobId)!;
    for (const p of [0, 1, 0xa, 0xfff, 0x1000, 0x1a2b, 0xffff]) {
      const made = madeNotificationId(jobId, p)!;
      expect(isMadeIdAt(prefix, made, p)).toBe(true);
      expect(isMadeIdAt(prefix, made, p ^ 1)).toBe(false);
      expect(isMadeIdAt(prefix, made.toUpperCase(), p)).toBe(false);
    }
    expect(isMadeIdAt(prefix, madeNotificationId(newJobId(), 3)!, 3)).toBe(false); // another job's
    expect(isMadeIdAt(prefix, `${madeNotificationId(jobId, 3)!}0`, 3)).toBe(false);
    expect(isMadeIdAt(prefix, madeNotificationId(jobId, 3)!, 0x10003)).toBe(false);
  });

  it('two jobs made one after the other share no prefix', () => {
    expect(newJobId().slice(0, 32)).not.toBe(newJobId().slice(0, 32));
  });
});
