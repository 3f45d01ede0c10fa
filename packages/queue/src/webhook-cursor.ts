/**
 * Where an app's dead-token webhook stands in its feedback stream, kept in Redis so that any worker can take
 * over: the id of the last entry the receiver acknowledged, and a lease naming the one process that delivers
 * now (two workers POSTing the same batches would double every delivery).
 *
 *   {pushfleet:<app>}:webhook:position   string  feedback-stream id last acknowledged ('0' = none yet)
 *   {pushfleet:<app>}:webhook:lease      string  owner id, expiring after the lease time unless renewed
 *
 * The position moves only after the receiver answered 2xx, so a crash in between re-delivers: at least once.
 */

import { queueKeys } from './queue-keys.js';
import type { RedisClient } from './redis-connection.js';

/** The last feedback-stream id delivered, or `'0'` (the stream's start) when nothing was. */
export async function getWebhookPosition(redis: RedisClient, app: string): Promise<string> {
  return (await redis.get(queueKeys.webhookPosition(app))) ?? '0';
}

/**
 * KEYS[1] position; ARGV[1] new id. Moves the position forward only (a slow process that lost its lease
 * cannot move it back). Stream ids compare as "ms-seq" pairs. Returns 1 when it moved.
 */
const ADVANCE_SCRIPT = `
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if ms then return tonumber(ms), tonumber(seq) end
  return tonumber(id) or 0, 0
end
local old = redis.call('GET', KEYS[1]) or '0'
local oms, oseq = parse(old)
local nms, nseq = parse(ARGV[1])
if nms > oms or (nms == oms and nseq > oseq) then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

/** Record that everything up to `id` was delivered. Resolves false when the position was already there or past. */
export async function advanceWebhookPosition(redis: RedisClient, app: string, id: string): Promise<boolean> {
  return (await redis.eval(ADVANCE_SCRIPT, 1, queueKeys.webhookPosition(app), id)) === 1;
}

/** KEYS[1] lease; ARGV[1] owner, ARGV[2] ms. Takes a free lease or renews our own. Returns 1 when held. */
const LEASE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Take or renew the app's webhook lease for `ttlMs`. Resolves true while `owner` holds it. */
export async function holdWebhookLease(
  redis: RedisClient,
  app: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  return (await redis.eval(LEASE_SCRIPT, 1, queueKeys.webhookLease(app), owner, String(ttlMs))) === 1;
}

/** Give the lease up (on shutdown) so another worker takes over at once; only the owner's lease is removed. */
export async function releaseWebhookLease(redis: RedisClient, app: string, owner: string): Promise<void> {
  await redis.eval(
    `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
    1,
    queueKeys.webhookLease(app),
    owner,
  );
}
