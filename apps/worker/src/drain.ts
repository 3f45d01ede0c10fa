/**
 * Draining on SIGTERM: stop taking jobs and let the ones in flight finish (they finish only after APNs
 * answered), but not forever. Past the deadline the BullMQ worker is closed by force: what was still in
 * flight keeps its lock until the lock expires, then another worker runs it again (at-least-once; each
 * re-send counted as `resends{cause="stall"}`). Orchestrators must allow longer than this before they kill
 * the process (Kubernetes: terminationGracePeriodSeconds; compose: stop_grace_period).
 */
import type { Worker } from 'bullmq';

/** How long a worker waits for in-flight jobs on shutdown before it lets them go. */
export const DRAIN_DEADLINE_MS = 25_000;

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
  await worker.close(true);
  return drained;
}
