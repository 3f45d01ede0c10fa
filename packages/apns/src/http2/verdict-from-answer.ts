import type { IncomingHttpHeaders } from 'node:http2';
import { actionFor } from '../reasons.js';
import { outcomeFor, type Verdict } from '../types.js';

type MutableVerdict = { -readonly [K in keyof Verdict]: Verdict[K] };

/**
 * The {@link Verdict} for a non-200 answer: `{reason, timestamp}` from the JSON body (a body that is not JSON
 * gives no reason), action and outcome from the reason table, `retry-after` as milliseconds.
 */
export function verdictFromAnswer(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
  apnsId: string,
): Verdict {
  const { reason, timestamp } = parseErrorBody(body);
  const action = actionFor(status, reason);
  const verdict: MutableVerdict = { outcome: outcomeFor(action), action, status, apnsId };
  if (reason !== undefined) verdict.reason = reason;
  if (timestamp !== undefined) verdict.timestamp = timestamp;
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  if (retryAfterMs !== undefined) verdict.retryAfterMs = retryAfterMs;
  return verdict;
}

function parseErrorBody(body: Buffer | undefined): { reason?: string; timestamp?: number } {
  if (body === undefined || body.length === 0) return {};
  try {
    const json = JSON.parse(body.toString('utf8')) as { reason?: unknown; timestamp?: unknown };
    const out: { reason?: string; timestamp?: number } = {};
    if (typeof json.reason === 'string') out.reason = json.reason;
    if (typeof json.timestamp === 'number' && Number.isFinite(json.timestamp)) out.timestamp = json.timestamp;
    return out;
  } catch {
    return {};
  }
}

/** `retry-after`: delay-seconds or an HTTP date (RFC 9110 §10.2.3), as milliseconds from now. */
function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
