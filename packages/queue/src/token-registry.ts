/**
 * The dead-token registry and feedback stream: the ONE way a token-invalid verdict enters the system
 * (HTTP/2 410 / BadDeviceToken / DeviceTokenNotForTopic, legacy status 5 and 8, feedback-service tuples).
 *
 * Per app:
 *   {pushfleet:<app>}:tokens:invalid   hash   token -> JSON InvalidTokenRecord (latest verdict wins)
 *   {pushfleet:<app>}:feedback         stream one entry per recorded verdict: token, reason, timestamp, topic, source
 *
 * A verdict is recorded once: a second report of the same token with the same or an older Apple
 * timestamp changes nothing and appends nothing (the Lua script below makes the check and the two writes
 * atomic). Later sends to a recorded token are suppressed (`findSuppressed`) until the backend says the device
 * registered it again (`reactivateToken`).
 */

import { queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

export type InvalidTokenSource = 'http2' | 'legacy' | 'feedback';

export interface InvalidTokenReport {
  readonly app: string;
  /** Device token, lowercase hex. */
  readonly token: string;
  /** Apple's reason (`Unregistered`, `BadDeviceToken`, `InvalidToken`...) or `Feedback`. */
  readonly reason: string;
  /** When Apple says the token stopped being valid, ms since the epoch; the report time when Apple gave none. */
  readonly timestamp: number;
  /** The topic it was sent to (DeviceTokenNotForTopic is per topic). */
  readonly topic?: string;
  readonly source: InvalidTokenSource;
}

export interface InvalidTokenRecord {
  readonly reason: string;
  readonly timestamp: number;
  readonly topic?: string;
  readonly source: InvalidTokenSource;
  /** ms since the epoch when we recorded it. */
  readonly recordedAt: number;
}

export interface FeedbackEntry extends InvalidTokenRecord {
  /** Stream entry id; pass the last one back to read on. */
  readonly id: string;
  readonly token: string;
}

/**
 * KEYS[1] registry hash, KEYS[2] feedback stream
 * ARGV[1] token, ARGV[2] record JSON, ARGV[3] timestamp, ARGV[4] reason, ARGV[5] topic, ARGV[6] source,
 * ARGV[7] recordedAt, ARGV[8] stream max length (approximate)
 * Returns 1 when recorded, 0 when an equal or newer verdict was already there.
 */
const RECORD_SCRIPT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and tonumber(prev.timestamp) and tonumber(prev.timestamp) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*',
  'token', ARGV[1], 'reason', ARGV[4], 'timestamp', ARGV[3], 'topic', ARGV[5], 'source', ARGV[6], 'recordedAt', ARGV[7])
return 1
`;

/** Feedback stream length kept (approximate trim). */
export const FEEDBACK_STREAM_MAX_LEN = 1_000_000;

/** Record a dead token once. Resolves true when this report changed the registry. */
export async function recordInvalidToken(redis: RedisClient, report: InvalidTokenReport): Promise<boolean> {
  const recordedAt = Date.now();
  const record: InvalidTokenRecord = {
    reason: report.reason,
    timestamp: report.timestamp,
    ...(report.topic !== undefined ? { topic: report.topic } : {}),
    source: report.source,
    recordedAt,
  };
  const result = await redis.eval(
    RECORD_SCRIPT,
    2,
    queueKeys.invalidTokens(report.app),
    queueKeys.feedbackStream(report.app),
    report.token,
    JSON.stringify(record),
    String(report.timestamp),
    report.reason,
    report.topic ?? '',
    report.source,
    String(recordedAt),
    String(FEEDBACK_STREAM_MAX_LEN),
  );
  return result === 1;
}

/** The registry's record of a token, or undefined when it is not known dead. */
export async function getInvalidToken(
  redis: RedisClient,
  app: string,
  token: string,
): Promise<InvalidTokenRecord | undefined> {
  const raw = await redis.hget(queueKeys.invalidTokens(app), token.toLowerCase());
  return raw === null ? undefined : (JSON.parse(raw) as InvalidTokenRecord);
}

/** Read the feedback stream after `afterId` (exclusive). @param afterId `'0'` reads from the start. */
export async function readFeedback(
  redis: RedisClient,
  app: string,
  afterId = '0',
  count = 1000,
): Promise<FeedbackEntry[]> {
  const rows = await redis.xrange(
    queueKeys.feedbackStream(app),
    afterId === '0' ? '-' : `(${afterId}`,
    '+',
    'COUNT',
    count,
  );
  return rows.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    return {
      id,
      token: f.token ?? '',
      reason: f.reason ?? '',
      timestamp: Number(f.timestamp),
      ...(f.topic ? { topic: f.topic } : {}),
      source: (f.source ?? 'http2') as InvalidTokenSource,
      recordedAt: Number(f.recordedAt),
    };
  });
}

/** What `findSuppressed` needs of each notification about to be sent. */
export interface SuppressionCandidate {
  readonly token: string;
  readonly topic: string;
  /** When the notification was enqueued, ms since the epoch. */
  readonly enqueuedAt: number;
}

/**
 * For each notification, the registry record that suppresses it, or undefined to send it: a token Apple
 * reported dead at or before the notification was enqueued (for `DeviceTokenNotForTopic`, only on that
 * topic). One round trip (HMGET) for the whole batch, never one per notification.
 */
export async function findSuppressed(
  redis: RedisClient,
  app: string,
  batch: readonly SuppressionCandidate[],
): Promise<(InvalidTokenRecord | undefined)[]> {
  if (batch.length === 0) return [];
  const raw = await redis.hmget(queueKeys.invalidTokens(app), ...batch.map((n) => n.token));
  return batch.map((n, i) => {
    const r = raw[i];
    if (r === null || r === undefined) return undefined;
    const record = JSON.parse(r) as InvalidTokenRecord;
    if (record.timestamp > n.enqueuedAt) return undefined;
    if (record.reason === 'DeviceTokenNotForTopic' && record.topic !== n.topic) return undefined;
    return record;
  });
}

/**
 * The device came back with this token (the backend saw it register again): forget that it was dead, so
 * notifications to it are sent again. Resolves the record that was removed, if any.
 */
export async function reactivateToken(
  redis: RedisClient,
  app: string,
  token: string,
): Promise<InvalidTokenRecord | undefined> {
  const key = queueKeys.invalidTokens(app);
  const lower = token.toLowerCase();
  const [[, raw] = [], [, removed] = []] =
    (await redis.multi().hget(key, lower).hdel(key, lower).exec()) ?? [];
  return removed === 1 && typeof raw === 'string' ? (JSON.parse(raw) as InvalidTokenRecord) : undefined;
}
