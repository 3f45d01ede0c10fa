/**
 * The BullMQ processor of an app's `broadcasts` queue: broadcast jobs through the BroadcastClient, channel
 * operations through the ChannelClient (docs/protocol/broadcast.md), with the fleet's retry policy
 * (retry-policy.ts) and the broadcast reason table's actions:
 *
 *   ok                      completed; a create is recorded in the channel registry (`created`, or `reconciled`
 *                           when its answer was lost and listing found it)
 *   retry / reconnect / jwt, no answer   delayed by the retry policy until the broadcast's horizon (its
 *                           apns-expiration, 0 → one minute), then failed `expired` / `dead-lettered` into the
 *                           app's broadcast dead-letter list (broadcast-dead-letter.ts)
 *   gone                    failed; the channel is marked deleted in the registry (later broadcasts to it are
 *                           refused at enqueue)
 *   fix, creds, capacity, capability     failed at once (UnrecoverableError), logged with Apple's reason
 *
 * A failed job's reason is its BroadcastJobResult as JSON, read back by `producer.broadcastStatus`.
 */
import {
  type BroadcastClient,
  type BroadcastVerdict,
  type ChannelClient,
  isBroadcastReason,
  TransportError,
} from '@pushfleet/apns';
import type { Logger } from '@pushfleet/log';
import type { FleetMetrics } from '@pushfleet/metrics';
import type { RedisClient } from '@pushfleet/queue';
import {
  addBroadcastDeadLetter,
  BROADCAST_JOB_NAME,
  type BroadcastJobData,
  type BroadcastJobResult,
  type ChannelJobData,
  listChannels,
  markChannelDeleted,
  recordChannel,
} from '@pushfleet/queue';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { decideRetry, expiredBeforeSend, type RetryCause, type RetryPolicyOptions } from './retry-policy.js';

export interface BroadcastProcessorOptions {
  readonly app: string;
  readonly broadcasts: Pick<BroadcastClient, 'send'>;
  /** `undefined`: no management endpoint is known for this app; channel jobs fail naming the setting. */
  readonly channels: Pick<ChannelClient, 'create' | 'delete' | 'list'> | undefined;
  readonly redis: RedisClient;
  readonly metrics: FleetMetrics;
  readonly policy: RetryPolicyOptions;
  readonly log: Logger;
  readonly random?: () => number;
}

type AnyJob = Job<BroadcastJobData | ChannelJobData, BroadcastJobResult>;

/** Reasons of our own on channel creates, besides Apple's. */
const OWN_REASONS = new Set(['NoAnswer', 'AmbiguousReconciliation', 'Reconciled']);

/** A bounded `reason` label: Apple's broadcast reasons and ours, "" on success, else "unknown". */
export function broadcastReasonLabel(reason: string | undefined, ok: boolean): string {
  if (reason === undefined) return ok ? '' : 'unknown';
  return isBroadcastReason(reason) || OWN_REASONS.has(reason) ? reason : 'unknown';
}

export function createBroadcastProcessor(o: BroadcastProcessorOptions) {
  const { app, redis, metrics } = o;
  const random = o.random ?? Math.random;

  /** Retry later under the policy, or end the job as expired / dead-lettered. */
  async function retryOrGiveUp(
    job: AnyJob,
    lockToken: string | undefined,
    cause: RetryCause,
    expiration: number | undefined,
    base: BroadcastJobResult,
  ): Promise<never> {
    // Tries live in the job record: a delayed job (DelayedError) does not count toward BullMQ's attemptsMade.
    const tries = (job.data.tries ?? 0) + 1;
    const decision = decideRetry(
      o.policy,
      { cause, tries, enqueuedAt: job.data.enqueuedAt, expiration, now: Date.now() },
      random,
    );
    if (decision.retry && lockToken !== undefined) {
      metrics.retries.inc({ app, reason: broadcastReasonLabel(base.reason, false) });
      metrics.jobs.inc({ app, state: 'retried' });
      await job.updateData({
        ...job.data,
        tries,
        ...(base.reason !== undefined ? { lastReason: base.reason } : {}),
      });
      await job.moveToDelayed(decision.atMs, lockToken);
      throw new DelayedError();
    }
    const outcome = decision.retry ? 'dead-lettered' : decision.outcome;
    const reason = decision.retry
      ? 'no lock to delay the job with'
      : `${base.reason ?? 'no answer'}: ${decision.reason}`;
    return deadLetter(job, { ...base, outcome, reason }, base.reason, tries);
  }

  /** Give up on the job: into the app's broadcast dead-letter list, counted, logged once. */
  async function deadLetter(
    job: AnyJob,
    result: BroadcastJobResult & { readonly outcome: 'expired' | 'dead-lettered'; readonly reason: string },
    lastReason: string | undefined,
    attempts: number,
  ): Promise<never> {
    const { outcome, reason } = result;
    await addBroadcastDeadLetter(redis, {
      app,
      job: job.data,
      outcome,
      reason,
      attempts,
      deadAt: Date.now(),
    });
    if (job.name === BROADCAST_JOB_NAME)
      metrics.broadcasts.inc({ app, outcome, reason: broadcastReasonLabel(lastReason, false) });
    o.log.warn({ app, job: job.id, outcome, reason }, 'broadcast job dead-lettered');
    return fail(result);
  }

  function fail(result: BroadcastJobResult): never {
    metrics.jobs.inc({ app, state: 'failed' });
    throw new UnrecoverableError(JSON.stringify(result));
  }

  async function runBroadcast(job: AnyJob, data: BroadcastJobData, lockToken: string | undefined) {
    const b = data.broadcast;
    const base: BroadcastJobResult = { app, id: b.id, outcome: 'retry' };
    const tries = data.tries ?? 0;
    const gone = expiredBeforeSend(
      o.policy,
      { enqueuedAt: data.enqueuedAt, expiration: b.expiration },
      Date.now(),
      tries,
    );
    if (gone !== undefined && !gone.retry) {
      // Its last retry came due past the horizon: given up with the reason of the try before.
      const reason = data.lastReason === undefined ? gone.reason : `${data.lastReason}: ${gone.reason}`;
      return deadLetter(job, { ...base, outcome: gone.outcome, reason }, data.lastReason, tries);
    }
    let verdict: BroadcastVerdict;
    try {
      verdict = await o.broadcasts.send({
        bundleId: b.bundleId,
        channelId: b.channelId,
        payload: b.payload,
        priority: b.priority,
        expiration: b.expiration,
        requestId: b.id,
      });
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      metrics.transportErrors.inc({ app, transport: 'http2', code: error.code });
      return retryOrGiveUp(job, lockToken, { kind: 'transport', code: error.code }, b.expiration, {
        ...base,
        reason: error.code,
      });
    }
    const result = resultOf(base, verdict);
    metrics.broadcasts.inc({
      app,
      outcome: verdict.outcome,
      reason: broadcastReasonLabel(verdict.reason, verdict.outcome === 'ok'),
    });
    return settle(job, lockToken, verdict, result, b.expiration, async () => {
      await markChannelDeleted(redis, app, b.channelId);
    });
  }

  async function settle(
    job: AnyJob,
    lockToken: string | undefined,
    verdict: BroadcastVerdict,
    result: BroadcastJobResult,
    expiration: number | undefined,
    onGone: () => Promise<void>,
  ): Promise<BroadcastJobResult> {
    switch (verdict.outcome) {
      case 'ok':
        metrics.jobs.inc({ app, state: 'completed' });
        return result;
      case 'retry': {
        const action = verdict.action === 'reconnect' || verdict.action === 'jwt' ? verdict.action : 'retry';
        return retryOrGiveUp(
          job,
          lockToken,
          { kind: 'answer', action, retryAfterMs: verdict.retryAfterMs },
          expiration,
          result,
        );
      }
      case 'gone':
        await onGone();
        return fail(result);
      default:
        o.log.error(
          { app, job: job.id, outcome: verdict.outcome, reason: verdict.reason },
          'APNs refused a broadcast request',
        );
        return fail(result);
    }
  }

  async function runChannel(job: AnyJob, data: ChannelJobData, lockToken: string | undefined) {
    const op = data.operation;
    const base: BroadcastJobResult = { app, id: data.id, outcome: 'retry' };
    if (o.channels === undefined) {
      const reason =
        'no channel-management endpoint is configured for this app (PUSHFLEET_CHANNEL_MANAGEMENT_URL)';
      o.log.error({ app, job: job.id }, reason);
      return fail({ ...base, outcome: 'creds-broken', reason });
    }
    const count = (operation: string, v: BroadcastVerdict, label = v.reason) =>
      metrics.channelOperations.inc({
        app,
        operation,
        outcome: v.outcome,
        reason: broadcastReasonLabel(label, v.outcome === 'ok'),
      });
    try {
      if (op.op === 'create') {
        const v = await o.channels.create(op.bundleId, {
          storagePolicy: op.storagePolicy,
          requestId: data.id,
        });
        count('create', v, v.reconciled ? 'Reconciled' : v.reason);
        if (v.outcome === 'ok' && v.channelId !== undefined) {
          await recordChannel(redis, app, {
            id: v.channelId,
            bundleId: op.bundleId,
            storagePolicy: op.storagePolicy,
            createdAt: Date.now(),
            source: v.reconciled ? 'reconciled' : 'created',
            requestId: data.id,
          });
        }
        for (const id of v.candidates ?? []) await adopt(id, op.bundleId);
        return settle(job, lockToken, v, resultOf(base, v), undefined, async () => {});
      }
      if (op.op === 'delete') {
        const v = await o.channels.delete(op.bundleId, op.channelId);
        count('delete', v);
        if (v.outcome === 'ok' || v.outcome === 'gone') {
          await markChannelDeleted(redis, app, op.channelId);
          metrics.jobs.inc({ app, state: 'completed' });
          return resultOf(base, v.outcome === 'gone' ? { ...v, outcome: 'ok' } : v);
        }
        return settle(job, lockToken, v, resultOf(base, v), undefined, async () => {});
      }
      const v = await o.channels.list(op.bundleId);
      count('list', v);
      if (v.outcome !== 'ok') return settle(job, lockToken, v, resultOf(base, v), undefined, async () => {});
      const known = new Set((await listChannels(redis, app)).map((c) => c.id));
      let adopted = 0;
      for (const id of v.channels) {
        if (known.has(id)) continue;
        await adopt(id, op.bundleId);
        adopted++;
      }
      metrics.jobs.inc({ app, state: 'completed' });
      return { ...resultOf(base, v), adopted };
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      metrics.transportErrors.inc({ app, transport: 'http2', code: error.code });
      return retryOrGiveUp(job, lockToken, { kind: 'transport', code: error.code }, undefined, {
        ...base,
        reason: error.code,
      });
    }
  }

  async function adopt(id: string, bundleId: string): Promise<void> {
    await recordChannel(redis, app, {
      id,
      bundleId,
      storagePolicy: undefined,
      createdAt: Date.now(),
      source: 'adopted',
    });
  }

  return async function processBroadcastJob(job: AnyJob, lockToken?: string): Promise<BroadcastJobResult> {
    if (job.name === BROADCAST_JOB_NAME) return runBroadcast(job, job.data as BroadcastJobData, lockToken);
    return runChannel(job, job.data as ChannelJobData, lockToken);
  };
}

function resultOf(base: BroadcastJobResult, v: BroadcastVerdict): BroadcastJobResult {
  return {
    ...base,
    outcome: v.outcome,
    status: v.status,
    ...(v.reason !== undefined ? { reason: v.reason } : {}),
    requestId: v.requestId,
    ...(v.uniqueId !== undefined ? { uniqueId: v.uniqueId } : {}),
    ...(v.channelId !== undefined ? { channelId: v.channelId } : {}),
  };
}
