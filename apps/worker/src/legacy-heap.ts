/**
 * The heap of a worker process that runs only legacy apps. A legacy notification is final only when its
 * delivery window (500 ms) closes with no error, so the legacy rate is the notifications held over ~0.56 s:
 * holding more is the lever. What a held notification costs is mostly V8 letting the old generation grow
 * to ~4x its live size between full collections (34.7 MB live, 203 MB RSS with 10,000 held). With
 * `--heap-growing-percent=50` it grows to 1.5x: 20,000 held in 180 MB of RSS, against 217 MB for 10,000
 * without, and 30,000 in 221-228 MB; the legacy rate 14,179-15,443 -> 25,429-25,549/s with 20,000 and
 * 28,798-31,417/s with 30,000 (bench:e2e --transport legacy, 2026-12-02, docs/design/benchmark-notes.md).
 * Not for a worker with HTTP/2 apps: that path is CPU-bound, and a tighter heap costs it
 * (`--max-old-space-size=384` there: +45% worker CPU).
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flag a legacy-only worker sets on itself at start (V8 reads it at each full collection). */
export const LEGACY_ONLY_HEAP_FLAGS = '--heap-growing-percent=50';

/**
 * Notifications a legacy app of a legacy-only worker may hold in running jobs (the default elsewhere is the
 * intake's MAX_HELD_NOTIFICATIONS). Since each try became one object (notification-attempt.ts) a held
 * notification costs far less: 30,000 held in 169-173 MB, 60,000 in 208-211, 80,000 in 218-239 and 100,000 in
 * 236-261 MB, at 48,500-49,700/s with 60,000 and 73,000-77,500/s with 80,000 (bench:e2e --transport legacy,
 * resend ring 100,000); 100,000 was no faster beyond the noise. Large payloads count for more against it
 * (heldWeight).
 */
export const LEGACY_ONLY_MAX_HELD = 80_000;

export interface HeapPlan {
  /** The V8 flags to set. */
  readonly flags: string;
  /** The most notifications each app may hold in running jobs. */
  readonly maxHeld: number;
}

/** The heap plan for a worker running these apps: one for legacy-only workers, none otherwise. */
export function heapPlanFor(apps: readonly { readonly transport: string }[]): HeapPlan | undefined {
  if (apps.length === 0 || !apps.every((a) => a.transport === 'legacy')) return undefined;
  return { flags: LEGACY_ONLY_HEAP_FLAGS, maxHeld: LEGACY_ONLY_MAX_HELD };
}

/** Set the plan's flags on this process: once, at start, before the heap has grown. */
export function applyHeapPlan(plan: HeapPlan): void {
  setFlagsFromString(plan.flags);
}
