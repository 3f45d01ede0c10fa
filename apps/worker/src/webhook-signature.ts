/**
 * The dead-token webhook's signature, the Stripe way: HMAC-SHA256 with the app's secret over
 * `<timestamp>.<body>`, sent as
 *
 *   Pushfleet-Signature: t=<UNIX seconds>,v1=<hex HMAC>
 *
 * The timestamp is signed too, so a receiver that refuses old timestamps (say, over 5 minutes) also refuses
 * a replayed request. `verifyWebhookSignature` is what a receiver runs (the README shows it stand-alone).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'pushfleet-signature';

/** How old a signed timestamp may be before a receiver should refuse it. @defaultValue 5 minutes */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export function signWebhookBody(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** True when `header` signs `body` with `secret` and its timestamp is within `toleranceSeconds` of now. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | undefined,
  toleranceSeconds = DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.trim().split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
