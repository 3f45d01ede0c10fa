/**
 * Live Activity payloads APNs accepts but devices drop (docs/protocol/broadcast.md, "Lint, not HTTP errors"):
 * recorded as warnings with the request, never turned into an HTTP error [Ours].
 */

/** Activity data (`attributes` + `content-state`) the device keeps [Apple DL]. */
const MAX_ACTIVITY_DATA_BYTES = 4096;

export interface LintContext {
  /** Sent to a channel (`/4/broadcasts`), not to one activity. */
  readonly broadcast: boolean;
  readonly priority: string | undefined;
  /** `apns-topic` was sent (broadcasts carry none). */
  readonly topic: string | undefined;
}

export function liveActivityWarnings(payload: unknown, context: LintContext): string[] {
  const warnings: string[] = [];
  const aps = (payload as { aps?: unknown } | null)?.aps;
  if (typeof aps !== 'object' || aps === null) return ['aps: missing'];
  const a = aps as Record<string, unknown>;
  for (const key of ['timestamp', 'event', 'content-state'])
    if (!(key in a)) warnings.push(`aps.${key}: missing`);
  const event = a.event;
  if (event !== undefined && event !== 'start' && event !== 'update' && event !== 'end')
    warnings.push('aps.event: not start, update or end');
  if (event === 'start') {
    for (const key of ['alert', 'attributes-type', 'attributes'])
      if (!(key in a)) warnings.push(`aps.${key}: missing on start`);
    if (context.broadcast) warnings.push('aps.event: a broadcast cannot start a Live Activity');
  }
  const inputs = ['input-push-token', 'input-push-channel'].filter((k) => k in a);
  if (inputs.length === 2) warnings.push('aps.input-push-*: both keys in one payload');
  if (inputs.length > 0 && event !== 'start') warnings.push(`aps.${inputs[0]}: only on start`);
  if ('dismissal-date' in a && event !== 'end') warnings.push('aps.dismissal-date: only on end');
  if ('relevance-score' in a && typeof a['relevance-score'] !== 'number')
    warnings.push('aps.relevance-score: not a number');
  const data = JSON.stringify(a.attributes ?? {}).length + JSON.stringify(a['content-state'] ?? {}).length;
  if (data > MAX_ACTIVITY_DATA_BYTES) warnings.push('aps.attributes + aps.content-state: over 4 KB');
  if (context.priority === '1') warnings.push('apns-priority: 1 on a Live Activity');
  if (context.broadcast && context.topic !== undefined) warnings.push('apns-topic: sent on a broadcast');
  return warnings;
}
