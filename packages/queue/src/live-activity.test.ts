import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { checkLiveActivityAps, liveActivityNotification, liveActivityPayload } from './live-activity.js';
import { LiveActivityBudget, type LiveActivityBudgetWarning } from './live-activity-budget.js';
import { validateNotification } from './notification.js';

const token = 'ab'.repeat(32);
const start = {
  event: 'start',
  timestamp: 1_767_225_600,
  contentState: { score: '0-0' },
  attributesType: 'MatchAttributes',
  attributes: { home: 'A', away: 'B' },
  alert: { title: 'A v B', body: 'Kick-off' },
  inputPushChannel: 'dHN0LXNyY2gtY2hubA==',
} as const;

const problem = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ValidationError) return err.message;
    throw err;
  }
  return 'no error';
};

describe('liveActivityPayload', () => {
  it("builds Apple's start, update and end shapes", () => {
    expect(liveActivityPayload(start)).toEqual({
      aps: {
        timestamp: 1_767_225_600,
        event: 'start',
        'content-state': { score: '0-0' },
        'attributes-type': 'MatchAttributes',
        attributes: { home: 'A', away: 'B' },
        alert: { title: 'A v B', body: 'Kick-off' },
        'input-push-channel': 'dHN0LXNyY2gtY2hubA==',
      },
    });
    const stale = new Date(1_767_229_800_000);
    expect(
      liveActivityPayload({
        event: 'update',
        timestamp: 1,
        contentState: { s: 1 },
        staleDate: stale,
        relevanceScore: 100,
      }).aps,
    ).toEqual({
      timestamp: 1,
      event: 'update',
      'content-state': { s: 1 },
      'stale-date': 1_767_229_800,
      'relevance-score': 100,
    });
    expect(
      liveActivityPayload({ event: 'end', contentState: {}, dismissalDate: 5 }).aps['dismissal-date'],
    ).toBe(5);
  });

  it('refuses a start without an alert, naming aps.alert, from the builder and from a hand-written payload', () => {
    const { alert: _, ...noAlert } = start;
    expect(problem(() => liveActivityPayload(noAlert))).toMatch(/^aps\.alert: is required on start/);
    const handWritten = { aps: { ...liveActivityPayload(start).aps, alert: undefined } };
    expect(
      problem(() =>
        validateNotification({
          token,
          topic: 'com.example.app.push-type.liveactivity',
          pushType: 'liveactivity',
          payload: handWritten,
        }),
      ),
    ).toMatch(/^aps\.alert: is required on start/);
  });

  it('names the field of every other rule', () => {
    const base = liveActivityPayload({ event: 'update', timestamp: 1, contentState: {} }).aps;
    const check = (aps: Record<string, unknown>, route: 'device' | 'broadcast' = 'device') =>
      problem(() => checkLiveActivityAps(aps, route));
    expect(check({ ...base, event: undefined })).toMatch(/^aps\.event: is required/);
    expect(check({ ...base, event: 'pause' })).toMatch(/^aps\.event: must be start, update or end/);
    expect(check({ ...base, timestamp: 'now' })).toMatch(/^aps\.timestamp:/);
    expect(check({ ...base, 'content-state': undefined })).toMatch(/^aps\.content-state: is required/);
    expect(check({ ...base, 'dismissal-date': 5 })).toMatch(/^aps\.dismissal-date: is only for end/);
    expect(check({ ...base, 'relevance-score': 'high' })).toMatch(/^aps\.relevance-score: must be a number/);
    expect(check({ ...base, 'input-push-token': 1 })).toMatch(/^aps\.input-push-token: is only for start/);
    const s = liveActivityPayload(start).aps;
    expect(check({ ...s, 'input-push-token': 1 })).toMatch(
      /^aps\.input-push-token: give input-push-token or input-push-channel, not both/,
    );
    expect(check({ ...s, 'attributes-type': undefined })).toMatch(
      /^aps\.attributes-type: is required on start/,
    );
    expect(check(s, 'broadcast')).toMatch(/^aps\.event: a broadcast cannot start a Live Activity/);
    expect(check({ ...base, 'content-state': { x: 'a'.repeat(4100) } })).toMatch(
      /^aps\.content-state: .* over the device's 4096/,
    );
  });

  it('makes a /3/device notification with the .push-type.liveactivity topic that validates', () => {
    const n = liveActivityNotification({
      token,
      bundleId: 'com.example.app',
      priority: 5,
      liveActivity: start,
    });
    expect(n).toMatchObject({
      topic: 'com.example.app.push-type.liveactivity',
      pushType: 'liveactivity',
      priority: 5,
    });
    expect(validateNotification(n).topic).toBe('com.example.app.push-type.liveactivity');
  });
});

describe('LiveActivityBudget', () => {
  it('warns once an hour per target past the priority-10 threshold; priority 5 does not count', () => {
    const warnings: LiveActivityBudgetWarning[] = [];
    const budget = new LiveActivityBudget({ maxPriority10PerHour: 3, onWarning: (w) => warnings.push(w) });
    for (let i = 0; i < 10; i++) budget.note('channel:a', 5, i);
    expect(warnings).toEqual([]);
    for (let i = 0; i < 6; i++) budget.note('channel:a', i % 2 === 0 ? 10 : undefined, 1000 + i);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ target: 'channel:a', count: 4 });
    expect(warnings[0]?.message).toMatch(/priority 5/);
    for (let i = 0; i < 4; i++) budget.note('channel:a', 10, 3_700_000 + i);
    expect(warnings).toHaveLength(2);
  });
});
