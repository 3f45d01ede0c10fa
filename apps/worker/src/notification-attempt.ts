/**
 * One try at one notification: send it, and turn what came back (a verdict, or no answer) into its new state
 * in the job record. Dead tokens are recorded here, through queue's single entry point; whether and when a
 * non-final answer is tried again is the retry policy's decision, asked here and nowhere else.
 */
import { type ApnsRequest, type SendReceiver, TransportError, type Verdict } from '@pushfleet/apns';
import type { AttemptRecord, NotificationRecord, NotificationState, RedisClient } from '@pushfleet/queue';
import { recordInvalidToken } from '@pushfleet/queue';
import type { TransportName } from './instrumentation.js';
import { decideRetry, type RetryCause, type RetryDecision, type RetryPolicyOptions } from './retry-policy.js';

/** What the processor needs from a transport: one verdict per notification, or a TransportError. */
export interface PushSender {
  /** Send one notification: `receiver` is told APNs' verdict, or the TransportError of no answer, once. */
  submit(request: ApnsRequest, receiver: SendReceiver): void;
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

/** The run a try belongs to: what every try of one job shares, and who is told each try's result. */
export interface AttemptRun {
  readonly ctx: AttemptContext;
  /** When the notifications of the job were enqueued. */
  readonly enqueuedAt: number;
  /** The try of the notification at `place` in its job ended with this result. */
  tried(place: number, result: AttemptResult): void;
  /** A try ended in a way no retry policy covers (not a TransportError): the run fails. */
  failed(error: unknown): void;
}

/**
 * One try: its result goes to `run.tried`. The try is the receiver of its own send, one object per
 * notification: as a then-chain it was ~10 (promises, reactions, closures and their contexts), a third of
 * a legacy worker's live heap holding 40,000 notifications (heap snapshot, bench:e2e --transport legacy).
 */
export function attemptNotification(
  run: AttemptRun,
  n: NotificationRecord,
  prior: NotificationState | undefined,
  place: number,
): void {
  const attempt = new Attempt(run, n, prior, place);
  try {
    run.ctx.sender.submit(toApnsRequest(n), attempt);
  } catch (err) {
    run.failed(err); // a transport tells errors to the receiver; one that throws has a bug
  }
}

/** A try in flight, told how its send ended. Never throws into the transport that tells it. */
class Attempt implements SendReceiver {
  readonly #run: AttemptRun;
  readonly #n: NotificationRecord;
  readonly #prior: NotificationState | undefined;
  readonly #place: number;

  constructor(run: AttemptRun, n: NotificationRecord, prior: NotificationState | undefined, place: number) {
    this.#run = run;
    this.#n = n;
    this.#prior = prior;
    this.#place = place;
  }

  resolve(verdict: Verdict): void {
    const run = this.#run;
    try {
      const result = answered(run.ctx, this.#n, this.#prior, run.enqueuedAt, verdict);
      if (result instanceof Promise)
        result.then(
          (r) => run.tried(this.#place, r),
          (err: unknown) => run.failed(err),
        );
      else run.tried(this.#place, result);
    } catch (err) {
      run.failed(err);
    }
  }

  reject(error: Error): void {
    const run = this.#run;
    try {
      run.tried(this.#place, unanswered(run.ctx, this.#n, this.#prior, run.enqueuedAt, error));
    } catch (err) {
      run.failed(err);
    }
  }
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
  const attempt: AttemptRecord = { at, outcome: 'transport-error', reason: err.code };
  const attempts: AttemptRecord[] = prior ? [...prior.attempts, attempt] : [attempt];
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
  // Built field by field, not by spreads: this runs once per notification.
  const attempt: Writable<AttemptRecord> = { at, outcome: verdict.outcome, status: verdict.status };
  if (verdict.reason !== undefined) attempt.reason = verdict.reason;
  // A literal, not `[]` and a push: a push grows the empty array's store to 16 places (~150 bytes).
  const attempts: AttemptRecord[] = prior ? [...prior.attempts, attempt] : [attempt];
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
