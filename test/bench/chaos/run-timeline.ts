/**
 * What happened when, during a chaos run: each fault as it was injected (seconds since the start) and,
 * once a second, how many notifications the fleet ended as delivered and the simulator accepted in that
 * second. Turned into the report's chart (the rates, with the faults as markers) by chaos-report.ts.
 */

export interface FaultMark {
  /** Seconds since the run started. */
  readonly at: number;
  readonly label: string;
}

export class RunTimeline {
  readonly startedAt = Date.now();
  readonly faults: FaultMark[] = [];
  /** [seconds, delivered in that second] from the fleet's outcome counters. */
  readonly delivered: [number, number][] = [];
  /** [seconds, accepted in that second] at the simulators. */
  readonly accepted: [number, number][] = [];
  #last: { at: number; delivered: number | undefined; accepted: number } | undefined;

  /** Seconds since the start, to 0.1 s. */
  now(): number {
    return Math.round((Date.now() - this.startedAt) / 100) / 10;
  }

  mark(label: string): FaultMark {
    const mark = { at: this.now(), label };
    this.faults.push(mark);
    console.log(`[${mark.at.toFixed(1)} s] ${label}`);
    return mark;
  }

  /** Record the running totals; `delivered` is undefined while Redis cannot be read (a gap in the line). */
  sample(delivered: number | undefined, accepted: number): void {
    const at = this.now();
    const last = this.#last;
    if (last !== undefined && at > last.at) {
      const span = at - last.at;
      if (delivered !== undefined && last.delivered !== undefined)
        this.delivered.push([at, Math.round((delivered - last.delivered) / span)]);
      this.accepted.push([at, Math.round((accepted - last.accepted) / span)]);
    }
    this.#last = { at, delivered: delivered ?? last?.delivered, accepted };
  }
}
