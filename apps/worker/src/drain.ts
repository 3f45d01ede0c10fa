/**
 * Draining on SIGTERM: stop taking jobs and let the ones in flight finish (they finish only after APNs
 * answered), but not forever. Past the deadline the BullMQ worker is closed by force: what was still in
 * flight keeps its lock until the lock expires, then another worker runs it again (at-least-once; each
 * re-send counted as `resends{cause="stall"}`). Orchestrators must allow longer than this before they kill
 * the process (Kubernetes: terminationGracePeriodSeconds; compose: stop_grace_period).
 */
import type { Logger } from '@pushfleet/log';
import type { Worker } from 'bullmq';

/** How long a worker waits for in-flight jobs on shutdown before it lets them go. */
export const DRAIN_DEADLINE_MS = 25_000;

/**
 * What the steps after the drain (closing queues, connections, Redis) get in all: each waits on a peer that
 * may not answer (seen: a Redis Cluster client after a master failover whose quit never settled), so a
 * SIGTERMed worker exits within DRAIN_DEADLINE_MS + this, whatever its peers do.
 */
export const CLEANUP_DEADLINE_MS = 8_000;

/** What one of those steps gets, so one that hangs leaves time to the next ones. */
export const SHUTDOWN_STEP_MS = 3_000;

/**
 * The longest a worker takes to exit after SIGTERM (the drain, the cleanup, and a margin before the process
 * exits regardless): give an orchestrator's grace period more than this.
 */
export const SHUTDOWN_DEADLINE_MS = DRAIN_DEADLINE_MS + CLEANUP_DEADLINE_MS + 2_000;

/**
 * Wait for one shutdown step until `deadline` (ms since the epoch); past it, log which step hung and go on.
 * A step that fails is logged too. Resolves whether the step finished.
 */
export async function shutdownStep(
  what: string,
  step: () => Promise<unknown>,
  deadline: number,
  log: Logger,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  try {
    const outcome = await Promise.race([step().then(() => 'done' as const), late]);
    if (outcome === 'late') log.warn({ step: what }, 'shutdown step did not finish in time; going on');
    return outcome === 'done';
  } catch (err) {
    log.warn({ step: what, error: (err as Error).message }, 'shutdown step failed; going on');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves `true` when every in-flight job finished in time, `false` when the deadline forced the close. */
export async function drainWorker(worker: Worker, deadlineMs = DRAIN_DEADLINE_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  // pause() takes no new job and resolves once the active ones finished; close() would too, but a forced
  // close after it would only get the same pending promise back.
  const drained = await Promise.race([worker.pause().then(() => true as const), deadline]);
  clearTimeout(timer);
  // The forced close waits on Redis (its blocking connection), which may not answer: bounded by the caller.
  await worker.close(true);
  return drained;
}
