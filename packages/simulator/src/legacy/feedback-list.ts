/**
 * The feedback service's lists, read from the shared DeviceRegistry [Ours]:
 *
 *   the list of topic T = every token marked dead (markDead) whose app is T or unset (markForTopic),
 *                         each with the dead timestamp in whole seconds (time_t)
 *   take(T)             = that list minus what T already read: Apple clears a list once it is read
 *
 * A token marked dead again later (a new timestamp) is listed again. Oldest first.
 */
import type { FeedbackTuple } from '@pushfleet/apns-legacy';
import type { DeviceRegistry } from '../server/device-registry.js';

export class FeedbackList {
  readonly #devices: DeviceRegistry;
  /** topic -> token -> the dead timestamp (ms) already read. */
  readonly #read = new Map<string, Map<string, number>>();

  constructor(devices: DeviceRegistry) {
    this.#devices = devices;
  }

  /** What a connection for `topic` would read now, without clearing it. */
  peek(topic: string): FeedbackTuple[] {
    return this.#collect(topic).map(([token, ms]) => ({ token, timestamp: Math.floor(ms / 1000) }));
  }

  /** Read and clear the list of `topic`. */
  take(topic: string): FeedbackTuple[] {
    const due = this.#collect(topic);
    let read = this.#read.get(topic);
    if (read === undefined) this.#read.set(topic, (read = new Map()));
    for (const [token, ms] of due) read.set(token, ms);
    return due.map(([token, ms]) => ({ token, timestamp: Math.floor(ms / 1000) }));
  }

  /** Forget what was read: every dead token is listed again. */
  reset(): void {
    this.#read.clear();
  }

  #collect(topic: string): [string, number][] {
    const read = this.#read.get(topic);
    const out: [string, number][] = [];
    for (const [token, state] of this.#devices.entries()) {
      if (state.dead === undefined) continue;
      if (state.topic !== undefined && state.topic !== topic) continue;
      if (read?.get(token) === state.dead.timestamp) continue;
      out.push([token, state.dead.timestamp]);
    }
    return out.sort((a, b) => a[1] - b[1]);
  }
}
