/**
 * Registered answers: "reply <reason> to requests for this token and/or topic", for the reasons a
 * well-formed request cannot otherwise produce (Forbidden, InternalServerError, Shutdown, IdleTimeout...).
 * Checked at the last stage of request-validator.ts, i.e. only for requests that passed every other check.
 * First match wins, in the order rules were added.
 */
import type { Reason } from '@pushfleet/apns';

export interface SimulatorRule {
  /** Device token (hex, any case) the rule applies to. @defaultValue every token */
  readonly token?: string | undefined;
  /** `apns-topic` the rule applies to (as resolved, e.g. the certificate UID when omitted). @defaultValue every topic */
  readonly topic?: string | undefined;
  /** The reason to answer; its status comes from the reason table. */
  readonly reason: Reason;
  /** `timestamp` (ms) for a 410 answer. @defaultValue the time of the request */
  readonly timestamp?: number | undefined;
  /** How many requests the rule answers before it is removed. @defaultValue Infinity */
  readonly times?: number | undefined;
}

export interface RuleHandle {
  /** Requests this rule answered so far. */
  readonly hits: number;
  remove(): void;
}

interface ActiveRule {
  readonly token: string | undefined;
  readonly topic: string | undefined;
  readonly reason: Reason;
  readonly timestamp: number | undefined;
  remaining: number;
  hits: number;
}

export class RuleBook {
  #rules: ActiveRule[] = [];

  add(rule: SimulatorRule): RuleHandle {
    const active: ActiveRule = {
      token: rule.token?.toLowerCase(),
      topic: rule.topic,
      reason: rule.reason,
      timestamp: rule.timestamp,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      hits: 0,
    };
    this.#rules.push(active);
    const rules = this;
    return {
      get hits() {
        return active.hits;
      },
      remove() {
        rules.#remove(active);
      },
    };
  }

  clear(): void {
    this.#rules = [];
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The rule answering this request, if any; counts the hit. `token` must be lowercase. */
  match(token: string, topic: string): { reason: Reason; timestamp: number | undefined } | undefined {
    if (this.#rules.length === 0) return undefined;
    for (const rule of this.#rules) {
      if (rule.token !== undefined && rule.token !== token) continue;
      if (rule.topic !== undefined && rule.topic !== topic) continue;
      rule.hits++;
      if (--rule.remaining <= 0) this.#remove(rule);
      return rule;
    }
    return undefined;
  }

  #remove(rule: ActiveRule): void {
    const i = this.#rules.indexOf(rule);
    if (i >= 0) this.#rules.splice(i, 1);
  }
}
