/**
 * Registered answers on the broadcast and channel-management routes, for the reasons a well-formed request cannot
 * otherwise produce (TooManyRequests, InternalServerError, Service Unavailable, Shutdown, ...), as rule-book.ts
 * does for `/3/device`. Checked after every other check, so a forced create makes no channel. First match wins.
 */
import type { BroadcastReason } from '@pushfleet/apns';

export const BROADCAST_OPERATIONS = ['broadcast', 'create', 'read', 'delete', 'list'] as const;
export type BroadcastOperation = (typeof BROADCAST_OPERATIONS)[number];

export interface BroadcastRule {
  /** @defaultValue every operation */
  readonly operation?: BroadcastOperation | undefined;
  /** @defaultValue every bundle id */
  readonly bundleId?: string | undefined;
  /** @defaultValue every channel */
  readonly channelId?: string | undefined;
  readonly reason: BroadcastReason;
  /** Requests the rule answers before it is removed. @defaultValue Infinity */
  readonly times?: number | undefined;
}

export interface BroadcastRuleHandle {
  readonly hits: number;
  remove(): void;
}

interface ActiveRule {
  readonly rule: BroadcastRule;
  remaining: number;
  hits: number;
}

export class BroadcastRuleBook {
  #rules: ActiveRule[] = [];

  add(rule: BroadcastRule): BroadcastRuleHandle {
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY, hits: 0 };
    this.#rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        this.#rules = this.#rules.filter((r) => r !== active);
      },
    };
  }

  clear(): void {
    this.#rules = [];
  }

  /** The reason of the first rule matching the request, counting the hit. @internal */
  match(
    operation: BroadcastOperation,
    bundleId: string,
    channelId: string | undefined,
  ): BroadcastReason | undefined {
    for (const active of this.#rules) {
      const r = active.rule;
      if (r.operation !== undefined && r.operation !== operation) continue;
      if (r.bundleId !== undefined && r.bundleId !== bundleId) continue;
      if (r.channelId !== undefined && r.channelId !== channelId) continue;
      active.hits++;
      if (--active.remaining <= 0) this.#rules = this.#rules.filter((x) => x !== active);
      return r.reason;
    }
    return undefined;
  }
}
