import { describe, expect, it } from 'vitest';
import { JOB_RECORD_VERSION, jobNotificationIds, jobNotifications, packJobData } from './job.js';
import { madeNotificationId, newJobId } from './made-notification-id.js';
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
    const data = packJobData('demo', 1234, 'job-1', records);
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
    expect(jobNotifications(data, 'job-1')).toEqual(records);
  });

  it('keeps a field that differs in each notification, and a job of one whole', () => {
    const distinct = [
      record(1, { payload: '{"aps":{"alert":"a"}}' }),
      record(2, { payload: '{"aps":{"alert":"b"}}' }),
    ];
    const data = packJobData('demo', 1, 'job-2', distinct);
    expect(data.common).toEqual({ topic: 'com.example.app', pushType: 'alert' });
    expect(data.notifications.map((n) => n.payload)).toEqual([
      '{"aps":{"alert":"a"}}',
      '{"aps":{"alert":"b"}}',
    ]);
    expect(jobNotifications(data, 'job-2')).toEqual(distinct);
    const one = packJobData('demo', 1, 'job-3', [record(3)]);
    expect(one.common).toBeUndefined();
    expect(one.notifications).toEqual([record(3)]);
  });

  it('leaves out the ids the job made for their places, and reads them back; a chosen id stays', () => {
    const jobId = newJobId();
    const records = Array.from({ length: 300 }, (_, i) => record(i, { id: madeNotificationId(jobId, i)! }));
    records[7] = record(7); // chosen by the caller: not the one the job would make
    const data = packJobData('demo', 1, jobId, records);
    expect(data.notifications.filter((n) => n.id !== undefined)).toEqual([
      { id: record(7).id, token: record(7).token },
    ]);
    expect(JSON.stringify(data)).not.toContain(jobId.slice(0, 32));
    expect(jobNotificationIds(data, jobId)).toEqual(records.map((r) => r.id));
    expect(jobNotifications(data, jobId)).toEqual(records);
  });

  it('reads a v1 job (every notification whole, no common fields) and a v2 job (every id) as written', () => {
    const v1 = { v: 1 as const, app: 'demo', enqueuedAt: 1, notifications: [record(1), record(2)] };
    expect(jobNotifications(v1, 'job-4')).toEqual([record(1), record(2)]);
    const jobId = newJobId();
    const made = [0, 1].map((i) => record(i, { id: madeNotificationId(jobId, i)! }));
    const v2 = {
      v: 2 as const,
      app: 'demo',
      enqueuedAt: 1,
      common: { topic: 'com.example.app', pushType: 'alert' as const, payload: '{"aps":{"alert":"all"}}' },
      notifications: made.map((r) => ({ id: r.id, token: r.token })),
    };
    expect(jobNotifications(v2, jobId)).toEqual(made);
  });
});
