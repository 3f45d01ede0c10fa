import { describe, expect, it } from 'vitest';
import { JOB_RECORD_VERSION, jobNotifications, packJobData } from './job.js';
import type { NotificationRecord } from './notification.js';

const record = (i: number, over: Partial<NotificationRecord> = {}): NotificationRecord => ({
  id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  token: i.toString(16).padStart(64, '0'),
  topic: 'com.example.app',
  pushType: 'alert',
  payload: '{"aps":{"alert":"all"}}',
  ...over,
});

describe('packJobData', () => {
  it('stores the fields alike in every notification once, and reads each notification back whole', () => {
    const records = Array.from({ length: 5 }, (_, i) =>
      record(i, { priority: 10, expiration: i === 2 ? 99 : undefined }),
    );
    const data = packJobData('demo', 1234, records);
    expect(data).toMatchObject({ v: JOB_RECORD_VERSION, app: 'demo', enqueuedAt: 1234 });
    expect(data.common).toEqual({
      topic: 'com.example.app',
      pushType: 'alert',
      priority: 10,
      payload: '{"aps":{"alert":"all"}}',
    });
    expect(data.notifications[0]).toEqual({
      id: records[0]!.id,
      token: records[0]!.token,
      expiration: undefined,
    });
    expect(data.notifications[2]).toEqual({ id: records[2]!.id, token: records[2]!.token, expiration: 99 });
    expect(jobNotifications(data)).toEqual(records);
  });

  it('keeps a field that differs in each notification, and a job of one whole', () => {
    const distinct = [
      record(1, { payload: '{"aps":{"alert":"a"}}' }),
      record(2, { payload: '{"aps":{"alert":"b"}}' }),
    ];
    const data = packJobData('demo', 1, distinct);
    expect(data.common).toEqual({ topic: 'com.example.app', pushType: 'alert' });
    expect(data.notifications.map((n) => n.payload)).toEqual([
      '{"aps":{"alert":"a"}}',
      '{"aps":{"alert":"b"}}',
    ]);
    expect(jobNotifications(data)).toEqual(distinct);
    const one = packJobData('demo', 1, [record(3)]);
    expect(one.common).toBeUndefined();
    expect(one.notifications).toEqual([record(3)]);
  });

  it('reads a v1 job (every notification whole, no common fields) as it was written', () => {
    const v1 = { v: 1 as const, app: 'demo', enqueuedAt: 1, notifications: [record(1), record(2)] };
    expect(jobNotifications(v1)).toEqual([record(1), record(2)]);
  });
});
