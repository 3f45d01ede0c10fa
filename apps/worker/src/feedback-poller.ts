/**
 * The legacy feedback service, read on a schedule: connect with the app's certificate, read every
 * (time, token) tuple until the server closes, and record each dead token through the one entry point,
 * `recordInvalidToken` (source "feedback", Apple's time in ms), exactly like an HTTP/2 410.
 *
 * Apple asks for a daily read; the list is cleared once read, so a failed run loses nothing that the
 * next run will not return... except what was read and not recorded: tuples are recorded before the next
 * read starts, and a Redis failure is logged and retried at the next interval.
 */
import { readFeedback } from '@pushfleet/apns-legacy';
import type { ResolvedApp } from '@pushfleet/config';
import type { Logger } from '@pushfleet/log';
import type { FleetMetrics } from '@pushfleet/metrics';
import { type RedisClient, recordInvalidToken } from '@pushfleet/queue';
import { hostPort } from './senders.js';

export const DEFAULT_FEEDBACK_INTERVAL_MS = 24 * 3600 * 1000;

export interface FeedbackPoller {
  /** Read the feedback service now; resolves the number of tokens newly recorded. */
  runOnce(): Promise<number>;
  stop(): void;
}

export function startFeedbackPoller(
  app: ResolvedApp,
  redis: RedisClient,
  metrics: FleetMetrics,
  log: Logger,
  intervalMs = DEFAULT_FEEDBACK_INTERVAL_MS,
): FeedbackPoller | undefined {
  if (app.transport !== 'legacy' || !app.feedbackUrl || app.auth.kind !== 'certificate') return undefined;
  const { certPem, keyPem } = app.auth;
  const target = hostPort(app.feedbackUrl);
  let running: Promise<number> | undefined;

  async function read(): Promise<number> {
    const tuples = await readFeedback({
      ...target,
      ...(app.ca ? { ca: app.ca } : {}),
      cert: certPem,
      key: keyPem,
    });
    let recorded = 0;
    for (const t of tuples) {
      const fresh = await recordInvalidToken(redis, {
        app: app.name,
        token: t.token,
        reason: 'Feedback',
        timestamp: t.timestamp * 1000,
        ...(app.topics[0] ? { topic: app.topics[0] } : {}),
        source: 'feedback',
      });
      if (fresh) {
        recorded++;
        metrics.invalidTokens.inc({ app: app.name, source: 'feedback' });
      }
    }
    log.info({ app: app.name, tuples: tuples.length, recorded }, 'feedback read');
    return recorded;
  }

  const runOnce = () =>
    (running ??= read().finally(() => {
      running = undefined;
    }));
  const timer = setInterval(() => {
    runOnce().catch((err: Error) => log.warn({ app: app.name, error: err.message }, 'feedback read failed'));
  }, intervalMs);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
