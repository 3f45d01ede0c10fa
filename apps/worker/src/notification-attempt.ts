/**
 * One try at one notification: send it, and turn what came back (a verdict, or no answer) into its new state
 * in the job record. Dead tokens are recorded here, through queue's single entry point; whether and when a
 * non-final answer is tried again is the retry policy's decision, asked here and nowhere else.
 */
import { type ApnsRequest, TransportError, type Verdict } from '@pushfleet/apns';
import type { AttemptRecord, NotificationRecord, NotificationState } from '@pushfleet/queue';
import { recordInvalidToken } from '@pushfleet/queue';
import type { Redis } from 'ioredis';
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
  readonly redis: Redis;
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
  const attempts: AttemptRecord[] = [...(prior?.attempts ?? [])];
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
  const answer = {
    outcome: verdict.outcome,
    status: verdict.status,
    ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
  };
  attempts.push({ at, ...answer });
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
  const state: NotificationState = {
    // creds-broken is not final: the app is paused and the notification is sent again once it resumes.
    final: verdict.outcome !== 'retry' && verdict.outcome !== 'creds-broken',
    ...answer,
    ...(verdict.timestamp !== undefined ? { timestamp: verdict.timestamp } : {}),
    ...(verdict.uniqueId !== undefined ? { uniqueId: verdict.uniqueId } : {}),
    attempts,
  };
  // creds-broken asks the policy too: without a pause handler it is retried like any other non-final answer.
  if (verdict.outcome !== 'retry' && verdict.outcome !== 'creds-broken') return { state, recordedInvalid };
  const retry = ask(
    { kind: 'answer', action: verdict.action ?? 'retry', retryAfterMs: verdict.retryAfterMs },
    at,
  );
  return { state: givenUp(retry, attempts) ?? state, retry, recordedInvalid };
}

/** The final state of a notification the policy gave up on, or undefined when it is retried. */
function givenUp(decision: RetryDecision, attempts: AttemptRecord[]): NotificationState | undefined {
  if (decision.retry) return undefined;
  return { final: true, outcome: decision.outcome, reason: decision.reason, attempts };
}
