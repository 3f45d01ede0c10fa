/**
 * The end of a chaos run, counted from what the fleet and the simulator kept, per notification id:
 *
 *   outcomes     final outcome of every enqueued notification, from the fleet's per-id final records
 *                ({pushfleet:<app>}:final:<hour>, keyed by id, so a crash that records one twice counts once)
 *   stuck        jobs still waiting, active, delayed or prioritized in any app's queue
 *   lost         enqueued and no final outcome; or deliverable (a live token, a valid notification, no
 *                expiration) and never accepted by the simulator; or recorded `delivered` with no acceptance
 *   dups_seen    acceptances beyond the first, per apns-id, summed (an id accepted 3 times counts 2)
 */
import {
  appQueue,
  type FinalRecord,
  jobNotificationIds,
  outcomeCounts,
  type PushJobData,
  type RedisClient,
  readFinalBucket,
  statusBucketOf,
} from '@pushfleet/queue';
import { Queue } from 'bullmq';

const STUCK_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

export interface Enqueued {
  readonly id: string;
  readonly app: string;
  readonly deliverable: boolean;
}

export interface Tally {
  readonly enqueued: number;
  readonly lost: number;
  /** Up to 20 lost ids with why, for the report. */
  readonly lostSample: readonly string[];
  readonly outcomes: Record<string, number>;
  /** The fleet's outcome counters ({pushfleet:<app>}:outcomes) summed: above `enqueued` when a re-run recorded an end twice. */
  readonly outcomeCounterTotal: number;
  readonly stuck: Record<string, number>;
  readonly dupsSeen: number;
  /** Distinct apns-ids the simulator accepted more than once. */
  readonly dupIds: number;
  readonly deliverableNotAccepted: number;
  /** Up to 5 unfinished jobs, as the fleet left them (to find out why). */
  readonly stuckSample: readonly StuckJob[];
}

export interface StuckJob {
  readonly app: string;
  readonly id: string;
  readonly state: string;
  readonly attemptsStarted: number;
  readonly runs: number;
  readonly startedAgoS: number | undefined;
  readonly unfinished: number;
  /** Last attempt's reason (or 'none') per unfinished notification, counted. */
  readonly lastAttempts: Record<string, number>;
}

/** Up to `max` jobs not finished yet, with what their record says. */
export async function sampleStuckJobs(
  redis: RedisClient,
  apps: readonly string[],
  max = 5,
): Promise<StuckJob[]> {
  const out: StuckJob[] = [];
  for (const app of apps) {
    const { name, prefix } = appQueue(app);
    const queue = new Queue<PushJobData>(name, { connection: redis, prefix });
    for (const job of await queue.getJobs([...STUCK_STATES], 0, max)) {
      if (out.length >= max) break;
      const data = job.data;
      const lastAttempts: Record<string, number> = {};
      let unfinished = 0;
      for (const id of jobNotificationIds(data, String(job.id))) {
        const st = data.state?.[id];
        if (st?.final) continue;
        unfinished++;
        const r = st?.attempts.at(-1)?.reason ?? st?.attempts.at(-1)?.outcome ?? 'none';
        lastAttempts[r] = (lastAttempts[r] ?? 0) + 1;
      }
      out.push({
        app,
        id: String(job.id),
        state: await job.getState(),
        attemptsStarted: job.attemptsStarted,
        runs: data.runs ?? 0,
        startedAgoS: job.processedOn ? Math.round((Date.now() - job.processedOn) / 1000) : undefined,
        unfinished,
        lastAttempts,
      });
    }
    await queue.close();
  }
  return out;
}

/** Every job of the apps that is not finished, per state. */
export async function stuckJobs(
  redis: RedisClient,
  apps: readonly string[],
): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (const app of apps) {
    const { name, prefix } = appQueue(app);
    const queue = new Queue(name, { connection: redis, prefix });
    const counts = await queue.getJobCounts(...STUCK_STATES);
    for (const [state, n] of Object.entries(counts)) total[state] = (total[state] ?? 0) + n;
    await queue.close();
  }
  return total;
}

/** The final records of `apps` written between `fromMs` and `toMs`, by notification id. */
export async function readFinalRecords(
  redis: RedisClient,
  apps: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<Map<string, FinalRecord>> {
  const finals = new Map<string, FinalRecord>();
  for (const app of apps) {
    for (let bucket = statusBucketOf(fromMs); bucket <= statusBucketOf(toMs); bucket++) {
      for (const [id, record] of await readFinalBucket(redis, app, bucket)) finals.set(id, record);
    }
  }
  return finals;
}

export async function tally(
  redis: RedisClient,
  enqueued: readonly Enqueued[],
  accepted: ReadonlyMap<string, number>,
  window: { readonly fromMs: number; readonly toMs: number },
): Promise<Tally> {
  const apps = [...new Set(enqueued.map((e) => e.app))];
  const finals = await readFinalRecords(redis, apps, window.fromMs, window.toMs);
  const outcomes: Record<string, number> = {};
  const lostSample: string[] = [];
  let lost = 0;
  let deliverableNotAccepted = 0;
  for (const e of enqueued) {
    const final = finals.get(e.id);
    const times = accepted.get(e.id) ?? 0;
    if (final) outcomes[final.outcome] = (outcomes[final.outcome] ?? 0) + 1;
    if (e.deliverable && times === 0) deliverableNotAccepted++;
    const why = !final
      ? 'no final outcome'
      : e.deliverable && times === 0
        ? `deliverable, ${final.outcome}, never accepted`
        : final.outcome === 'delivered' && times === 0
          ? 'delivered without an acceptance'
          : undefined;
    if (why === undefined) continue;
    lost++;
    if (lostSample.length < 20) lostSample.push(`${e.app} ${e.id}: ${why}`);
  }
  let dupsSeen = 0;
  let dupIds = 0;
  for (const n of accepted.values()) {
    if (n > 1) {
      dupsSeen += n - 1;
      dupIds++;
    }
  }
  let outcomeCounterTotal = 0;
  for (const app of apps)
    for (const n of Object.values(await outcomeCounts(redis, app))) outcomeCounterTotal += n;
  return {
    enqueued: enqueued.length,
    lost,
    lostSample,
    outcomes,
    outcomeCounterTotal,
    stuck: await stuckJobs(redis, apps),
    dupsSeen,
    dupIds,
    deliverableNotAccepted,
    stuckSample: await sampleStuckJobs(redis, apps),
  };
}
