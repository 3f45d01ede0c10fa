/**
 * How long a SIGKILLed worker's jobs take to be delivered again: from the kill until every job BullMQ
 * reports stalled afterwards (the dead worker's: its lock lapsed), and before the next fault, has run to the
 * end of its re-run (completed, failed, or delayed for a retry). Read from BullMQ's own queue events, so it measures what
 * the fleet does (lock 5 s, stall check every 3 s), not a guess.
 */
import { appQueue, connectRedis, type RedisClient } from '@pushfleet/queue';
import { QueueEvents } from 'bullmq';

export interface Recovery {
  /** Jobs found stalled after the kill. */
  readonly stalledJobs: number;
  /** Kill → the first stall detected, s. */
  readonly detectedS: number | undefined;
  /** Kill → the last stalled job's re-run ended, s (undefined if one had not ended when the watch stopped). */
  readonly recoveredS: number | undefined;
  /** Kill → the median stalled job's re-run ended, s. */
  readonly recoveredMedianS: number | undefined;
}

export interface RecoveryWatch {
  /** The kill happened now: stalls from here on are its. */
  killed(): void;
  /** Resolves once the kill's first stall was seen (plus a second for the rest of that check), or after `timeoutMs`. */
  stallSeen(timeoutMs: number): Promise<void>;
  /** Another fault begins: stalls from here on are not the kill's. */
  closeWindow(): void;
  /** Stop listening (waits up to `waitMs` for stalled jobs still being re-run). */
  stop(waitMs: number): Promise<Recovery>;
}

export async function watchRecovery(redisUrl: string, apps: readonly string[]): Promise<RecoveryWatch> {
  let killedAt = 0;
  let windowOpen = false;
  let firstStall: number | undefined;
  const stalledAt = new Map<string, number>();
  const endedAt = new Map<string, number>();
  const connections: RedisClient[] = [];
  const events = apps.map((app) => {
    const { name, prefix } = appQueue(app);
    // Its own connection (one server or a cluster), so the reads of the event stream block nothing else.
    const connection = connectRedis(redisUrl).client;
    connection.on('error', () => {}); // Redis is killed on purpose; the watch reads on once it is back
    connections.push(connection);
    const qe = new QueueEvents(name, { connection, prefix });
    const key = (jobId: string) => `${app}/${jobId}`;
    qe.on('stalled', ({ jobId }) => {
      if (!windowOpen) return;
      firstStall ??= Date.now();
      stalledAt.set(key(jobId), Date.now());
      endedAt.delete(key(jobId));
    });
    const ended = ({ jobId }: { jobId: string }) => {
      if (stalledAt.has(key(jobId))) endedAt.set(key(jobId), Date.now());
    };
    qe.on('completed', ended);
    qe.on('failed', ended);
    qe.on('delayed', ended);
    return qe;
  });
  await Promise.all(events.map((qe) => qe.waitUntilReady()));
  return {
    killed() {
      killedAt = Date.now();
      windowOpen = true;
    },
    async stallSeen(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (firstStall === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (firstStall !== undefined) await new Promise((r) => setTimeout(r, 1000));
    },
    closeWindow() {
      windowOpen = false;
    },
    async stop(waitMs) {
      const deadline = Date.now() + waitMs;
      while (endedAt.size < stalledAt.size && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      // Connections first: a QueueEvents whose blocking read hangs on a Redis that restarted never closes itself.
      for (const c of connections) c.disconnect();
      await Promise.race([
        Promise.all(events.map((qe) => qe.close())),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
      const seconds = (t: number | undefined) => (t === undefined ? undefined : (t - killedAt) / 1000);
      const allEnded = stalledAt.size > 0 && endedAt.size === stalledAt.size;
      const ends = [...endedAt.values()].sort((a, b) => a - b);
      return {
        stalledJobs: stalledAt.size,
        detectedS: seconds(firstStall),
        recoveredS: allEnded ? seconds(ends.at(-1)) : undefined,
        recoveredMedianS: seconds(ends[Math.floor(ends.length / 2)]),
      };
    },
  };
}
