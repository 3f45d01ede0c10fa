import { describe, expect, it } from 'vitest';
import { heldWeight, JobIntake, MAX_HELD_NOTIFICATIONS, PAYLOAD_BYTES_PER_HELD } from './job-intake.js';

function intake(window: number, maxJobs = 1000, expectedJobSize = 10) {
  const set: number[] = [];
  let w = window;
  const i = new JobIntake({ window: () => w, maxJobs, setJobs: (n) => set.push(n), expectedJobSize });
  return { i, set, setWindow: (n: number) => (w = n) };
}

describe('JobIntake', () => {
  it('allows as many jobs as fill two windows, and no more while they hold them', () => {
    const { i, set } = intake(50);
    expect(i.allowedJobs).toBe(10); // 2 × 50 notifications / 10 per job
    expect(set.at(-1)).toBe(10);
    const runs = Array.from({ length: 10 }, () => i.start(10));
    expect(i.held).toBe(100);
    expect(i.allowedJobs).toBe(10); // full: the ten running, none more
    runs[0]!.settled(5);
    expect(i.allowedJobs).toBe(11); // room for one more job of the mean size
    runs[0]!.end(); // the run ends with 5 unsent (delayed): released
    expect(i.held).toBe(90);
    expect(i.jobs).toBe(9);
    expect(i.allowedJobs).toBe(10);
    expect(set.at(-1)).toBe(10);
  });

  it('a job larger than the budget runs alone: nothing else is taken until it settles', () => {
    const { i } = intake(100);
    const big = i.start(1000);
    expect(i.allowedJobs).toBe(1);
    big.settled(900);
    expect(i.allowedJobs).toBeGreaterThan(1);
    big.end();
    big.end(); // idempotent
    expect(i.jobs).toBe(0);
    expect(i.held).toBe(0);
  });

  it('follows the window (the transport capacity) and never exceeds maxJobs', () => {
    const { i, setWindow } = intake(10, 8);
    expect(i.allowedJobs).toBe(2);
    setWindow(1000);
    expect(i.allowedJobs).toBe(8);
    setWindow(0); // nothing connected: one job still goes, to open the connection
    expect(i.allowedJobs).toBe(1);
  });

  it('tells the Worker the new job count when the window grows with nothing settling (a connection opened)', () => {
    const { i, set, setWindow } = intake(1); // no connection yet: the limiter lets one request go
    i.start(10);
    expect(set.at(-1)).toBe(1);
    setWindow(500);
    expect(set.at(-1)).toBe(1); // nothing started or settled: not seen yet
    i.windowChanged();
    expect(set.at(-1)).toBe(100);
  });

  it('counts a running job whole against MAX_HELD_NOTIFICATIONS until it ends, settled or not (its memory)', () => {
    const { i } = intake(100_000, 4096, 1000);
    const runs = Array.from({ length: MAX_HELD_NOTIFICATIONS / 1000 }, () => i.start(1000));
    for (const r of runs) r.settled(999); // nearly all answered: the send budget is wide open
    expect(i.held).toBe(MAX_HELD_NOTIFICATIONS / 1000);
    expect(i.inRuns).toBe(MAX_HELD_NOTIFICATIONS);
    expect(i.allowedJobs).toBe(i.jobs); // but their records are still in memory: no new job
    runs[0]!.settled();
    runs[0]!.end();
    expect(i.inRuns).toBe(MAX_HELD_NOTIFICATIONS - 1000);
    expect(i.allowedJobs).toBe(i.jobs + 1);
  });

  it('holds at most MAX_HELD_NOTIFICATIONS however large the window (a legacy resend ring)', () => {
    const { i } = intake(25_000, 4096, 100);
    expect(i.allowedJobs).toBe(MAX_HELD_NOTIFICATIONS / 100);
    for (let k = 0; k < MAX_HELD_NOTIFICATIONS / 100; k++) i.start(100);
    expect(i.allowedJobs).toBe(i.jobs); // full: nothing more until some settle
  });

  it('weighs large payloads against the memory budget: payloads of twice PAYLOAD_BYTES_PER_HELD hold a third as many', () => {
    expect(heldWeight(1000, 45_000)).toBeLessThan(1100); // the bench's ~45-byte payloads: barely more
    expect(heldWeight(1000, 2 * PAYLOAD_BYTES_PER_HELD * 1000)).toBe(3000);
    const { i } = intake(100_000, 4096, 1000);
    const heavy = heldWeight(1000, 2 * PAYLOAD_BYTES_PER_HELD * 1000);
    const runs: ReturnType<typeof i.start>[] = [];
    while (i.allowedJobs > i.jobs) runs.push(i.start(1000, heavy));
    // The budget is full at a third of MAX_HELD_NOTIFICATIONS notifications (rounded up to a job).
    expect(i.jobs).toBe(Math.ceil(MAX_HELD_NOTIFICATIONS / 3000));
    expect(i.inRuns).toBeGreaterThanOrEqual(MAX_HELD_NOTIFICATIONS);
    for (const r of runs) r.end();
    expect(i.inRuns).toBe(0);
  });
});
