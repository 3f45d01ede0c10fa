/**
 * One try at one notification: send it, and turn what came back (a verdict, or no answer) into its new state
 * in the job record. Dead tokens are recorded here, through queue's single entry point; whether and when a
 * non-final answer is tried again is the retry policy's decision, asked here and nowhere else.
 */
import { type ApnsRequest, TransportError, type Verdict } from '@pushfleet/apns';
import type { AttemptRecord, NotificationRecord, NotificationState, RedisClient } from '@pushfleet/queue';
import { recordInvalidToken } from '@pushfleet/queue';
import type { TransportName } from './instrumentation.js';
import { decideRetry, type RetryCause, type RetryDecision, type RetryPolicyOptions } from './retry-policy.js';

/** What the processor needs from a transport: one verdict per notification, or a TransportError. */
export interface PushSender {
  send(request: ApnsRequest): Promise<Verdict>;
  /** Retire the open connections after an answer that asks for a fresh one (`reconnect`); optional. */
  recycleConnections?(): void;
}

export interface AttemptContext {
  readonly app: string;
  readonly transport: TransportName;
  readonly sender: PushSender;
  readonly redis: RedisClient;
  readonly policy: RetryPolicyOptions;
  readonly random: () => number;
}

export interface AttemptResult {
  readonly state: NotificationState;
  /** Set when the try was not final and not held: the retry policy's answer. */
  readonly retry?: RetryDecision;
  /** A dead token newly written to the registry by this try. */
  readonly recordedInvalid: boolean;
}

export function toApnsRequest(n: NotificationRecord): ApnsRequest {
  return {
    token: n.token,
    topic: n.topic,
    pushType: n.pushType,
    priority: n.priority,
    expiration: n.expiration,
    collapseId: n.collapseId,
    apnsId: n.id,
    payload: n.payload,
  };
}

export async function attemptNotification(
  ctx: AttemptContext,
  n: NotificationRecord,
  prior: NotificationState | undefined,
  enqueuedAt: number,
): Promise<AttemptResult> {
  const attempts: AttemptRecord[] = prior ? [...prior.attempts] : [];
  const ask = (cause: RetryCause, now: number) =>
    decideRetry(
      ctx.policy,
      { cause, tries: attempts.length, enqueuedAt, expiration: n.expiration, now },
      ctx.random,
    );
  let verdict: Verdict;
  try {
    verdict = await ctx.sender.send(toApnsRequest(n));
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    const at = Date.now();
    attempts.push({ at, outcome: 'transport-error', reason: err.code });
    const retry = ask({ kind: 'transport', code: err.code }, at);
    return { state: givenUp(retry, attempts) ?? { final: false, attempts }, retry, recordedInvalid: false };
  }
  const at = Date.now();
  // Built field by field, not by spreads: this runs once per notification.
  const attempt: Writable<AttemptRecord> = { at, outcome: verdict.outcome, status: verdict.status };
  if (verdict.reason !== undefined) attempt.reason = verdict.reason;
  attempts.push(attempt);
  let recordedInvalid = false;
  if (verdict.outcome === 'token-invalid') {
    recordedInvalid = await recordInvalidToken(ctx.redis, {
      app: ctx.app,
      token: n.token,
      reason: verdict.reason ?? 'Unknown',
      timestamp: verdict.timestamp ?? at,
      topic: n.topic,
      source: ctx.transport,
    });
  }
  const state: Writable<NotificationState> = {
    // creds-broken is not final: the app is paused and the notification is sent again once it resumes.
    final: verdict.outcome !== 'retry' && verdict.outcome !== 'creds-broken',
    outcome: verdict.outcome,
    status: verdict.status,
    attempts,
  };
  if (verdict.reason !== undefined) state.reason = verdict.reason;
  if (verdict.timestamp !== undefined) state.timestamp = verdict.timestamp;
  if (verdict.uniqueId !== undefined) state.uniqueId = verdict.uniqueId;
  // creds-broken asks the policy too: without a pause handler it is retried like any other non-final answer.
  if (verdict.outcome !== 'retry' && verdict.outcome !== 'creds-broken') return { state, recordedInvalid };
  const retry = ask(
    { kind: 'answer', action: verdict.action ?? 'retry', retryAfterMs: verdict.retryAfterMs },
    at,
  );
  return { state: givenUp(retry, attempts) ?? state, retry, recordedInvalid };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The final state of a notification the policy gave up on, or undefined when it is retried. */
function givenUp(decision: RetryDecision, attempts: AttemptRecord[]): NotificationState | undefined {
  if (decision.retry) return undefined;
  return { final: true, outcome: decision.outcome, reason: decision.reason, attempts };
}
