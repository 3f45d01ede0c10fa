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

/**
 * One try: resolves with the notification's new state (and the policy's answer when it is not final). Written
 * as a then-chain, not an async function: it runs once per notification, and a worker holds thousands of them
 * at once, so each async frame (its generator, promise and context) was live data that every scavenge copied.
 */
export function attemptNotification(
  ctx: AttemptContext,
  n: NotificationRecord,
  prior: NotificationState | undefined,
  enqueuedAt: number,
): Promise<AttemptResult> {
  let sent: Promise<Verdict>;
  try {
    sent = ctx.sender.send(toApnsRequest(n));
  } catch (err) {
    sent = Promise.reject(err); // a sender that throws is treated as one that rejects
  }
  return sent.then(
    (verdict) => answered(ctx, n, prior, enqueuedAt, verdict),
    (err: unknown) => unanswered(ctx, n, prior, enqueuedAt, err),
  );
}

/** The policy's answer for a try that was not final. */
function askPolicy(
  ctx: AttemptContext,
  n: NotificationRecord,
  enqueuedAt: number,
  tries: number,
  cause: RetryCause,
  now: number,
): RetryDecision {
  return decideRetry(ctx.policy, { cause, tries, enqueuedAt, expiration: n.expiration, now }, ctx.random);
}

/** No answer came: the try is recorded as a transport error, and the policy decides. */
function unanswered(
  ctx: AttemptContext,
  n: NotificationRecord,
  prior: NotificationState | undefined,
  enqueuedAt: number,
  err: unknown,
): AttemptResult {
  if (!(err instanceof TransportError)) throw err;
  const at = Date.now();
  const attempts: AttemptRecord[] = prior ? [...prior.attempts] : [];
  attempts.push({ at, outcome: 'transport-error', reason: err.code });
  const retry = askPolicy(ctx, n, enqueuedAt, attempts.length, { kind: 'transport', code: err.code }, at);
  return { state: givenUp(retry, attempts) ?? { final: false, attempts }, retry, recordedInvalid: false };
}

/** APNs answered: the verdict becomes the state; a dead token is recorded before the try settles. */
function answered(
  ctx: AttemptContext,
  n: NotificationRecord,
  prior: NotificationState | undefined,
  enqueuedAt: number,
  verdict: Verdict,
): AttemptResult | Promise<AttemptResult> {
  const at = Date.now();
  const attempts: AttemptRecord[] = prior ? [...prior.attempts] : [];
  // Built field by field, not by spreads: this runs once per notification.
  const attempt: Writable<AttemptRecord> = { at, outcome: verdict.outcome, status: verdict.status };
  if (verdict.reason !== undefined) attempt.reason = verdict.reason;
  attempts.push(attempt);
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
  if (verdict.outcome === 'token-invalid') {
    return recordInvalidToken(ctx.redis, {
      app: ctx.app,
      token: n.token,
      reason: verdict.reason ?? 'Unknown',
      timestamp: verdict.timestamp ?? at,
      topic: n.topic,
      source: ctx.transport,
    }).then((recordedInvalid) => ({ state, recordedInvalid }));
  }
  // creds-broken asks the policy too: without a pause handler it is retried like any other non-final answer.
  if (state.final) return { state, recordedInvalid: false };
  const retry = askPolicy(
    ctx,
    n,
    enqueuedAt,
    attempts.length,
    { kind: 'answer', action: verdict.action ?? 'retry', retryAfterMs: verdict.retryAfterMs },
    at,
  );
  return { state: givenUp(retry, attempts) ?? state, retry, recordedInvalid: false };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The final state of a notification the policy gave up on, or undefined when it is retried. */
function givenUp(decision: RetryDecision, attempts: AttemptRecord[]): NotificationState | undefined {
  if (decision.retry) return undefined;
  return { final: true, outcome: decision.outcome, reason: decision.reason, attempts };
}
