/**
 * The BullMQ processor for push jobs: send every notification of the job that has no final verdict yet,
 * record each verdict in the job record, and finish the job only after APNs answered (at-least-once).
 *
 * - all final, at least one delivered      -> job completes; its return value lists every verdict
 * - all final, none delivered               -> job fails at once (UnrecoverableError) with the reasons
 * - some got `retry` or no answer           -> state saved in job.data, job throws to be retried by
 *                                              BullMQ's backoff; the next attempt re-sends only those
 * Token-invalid verdicts go to the registry through queue's single entry point.
 */
import { type ApnsRequest, TransportError, type Verdict } from '@pushfleet/apns';
import type { FleetMetrics } from '@pushfleet/metrics';
import {
  type AttemptRecord,
  type NotificationRecord,
  type NotificationState,
  type PushJobData,
  type PushJobResult,
  recordInvalidToken,
  resultFromState,
} from '@pushfleet/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TransportName } from './instrumentation.js';

/** What the processor needs from a transport: one verdict per notification, or a TransportError. */
export interface PushSender {
  send(request: ApnsRequest): Promise<Verdict>;
}

export interface PushProcessorOptions {
  app: string;
  transport: TransportName;
  sender: PushSender;
  /** For the token registry. */
  redis: Redis;
  metrics: FleetMetrics;
  /**
   * APNs refused the app's credentials (action `creds`): pause the app for the whole fleet. The job is
   * put back, delayed by `credsRetryDelayMs`, without spending an attempt: the queue is kept, not burned.
   */
  onCredentialsBroken?: (reason: string) => Promise<void>;
  /** @defaultValue 60000 */
  credsRetryDelayMs?: number;
}

/** Thrown to make BullMQ retry a job whose notifications got a `retry` verdict or no answer. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
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

export function createPushProcessor(options: PushProcessorOptions) {
  const { app, transport, sender, redis, metrics } = options;

  async function sendOne(data: PushJobData, n: NotificationRecord, prior: NotificationState | undefined) {
    const attempts: AttemptRecord[] = [...(prior?.attempts ?? [])];
    let verdict: Verdict;
    try {
      verdict = await sender.send(toApnsRequest(n));
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      attempts.push({ at: Date.now(), outcome: 'transport-error', reason: err.code });
      return { final: false, attempts } satisfies NotificationState;
    }
    const at = Date.now();
    attempts.push({
      at,
      outcome: verdict.outcome,
      status: verdict.status,
      ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
    });
    // creds-broken is not final: the app is paused and the notification is sent again once it resumes.
    const final = verdict.outcome !== 'retry' && verdict.outcome !== 'creds-broken';
    if (verdict.outcome === 'token-invalid') {
      const recorded = await recordInvalidToken(redis, {
        app,
        token: n.token,
        reason: verdict.reason ?? 'Unknown',
        timestamp: verdict.timestamp ?? at,
        topic: n.topic,
        source: transport,
      });
      if (recorded) metrics.invalidTokens.inc({ app, source: transport });
    }
    if (final) metrics.endToEnd.observe({ app, outcome: verdict.outcome }, (at - data.enqueuedAt) / 1000);
    return {
      final,
      outcome: verdict.outcome,
      status: verdict.status,
      ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
      ...(verdict.timestamp !== undefined ? { timestamp: verdict.timestamp } : {}),
      attempts,
    } satisfies NotificationState;
  }

  return async function processPushJob(
    job: Job<PushJobData, PushJobResult>,
    lockToken?: string,
  ): Promise<PushJobResult> {
    const data = job.data;
    const prior = data.state ?? {};
    const todo = data.notifications.filter((n) => !prior[n.id]?.final);
    const updates = await Promise.all(todo.map((n) => sendOne(data, n, prior[n.id])));
    const state: Record<string, NotificationState> = { ...prior };
    todo.forEach((n, i) => {
      state[n.id] = updates[i]!;
    });
    const next: PushJobData = { ...data, state };
    const result = resultFromState(next);
    const unfinished = result.notifications.filter((n) => !n.final);

    const credsBroken = unfinished.find((n) => n.outcome === 'creds-broken');
    if (credsBroken && options.onCredentialsBroken && lockToken) {
      await job.updateData(next);
      await options.onCredentialsBroken(credsBroken.reason ?? 'credentials');
      metrics.jobs.inc({ app, state: 'held' });
      await job.moveToDelayed(Date.now() + (options.credsRetryDelayMs ?? 60_000), lockToken);
      throw new DelayedError();
    }
    if (unfinished.length > 0) {
      await job.updateData(next);
      metrics.jobs.inc({ app, state: 'retried' });
      const why = summarise(unfinished.map((n) => n.reason ?? n.attempts.at(-1)?.reason ?? 'no answer'));
      throw new RetryLaterError(`${unfinished.length} of ${result.notifications.length} to retry: ${why}`);
    }
    if (result.delivered === 0) {
      await job.updateData(next);
      metrics.jobs.inc({ app, state: 'failed' });
      throw new UnrecoverableError(
        summarise(result.notifications.map((n) => n.reason ?? n.outcome ?? 'failed')),
      );
    }
    metrics.jobs.inc({ app, state: 'completed' });
    return result;
  };
}

/** "Unregistered" for one; "Unregistered x2, BadDeviceToken" for many. */
function summarise(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, c]) => (c > 1 ? `${r} x${c}` : r)).join(', ');
}
