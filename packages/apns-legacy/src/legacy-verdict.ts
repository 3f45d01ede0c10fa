/**
 * Verdicts of the legacy binary path: how an error-response status byte (Apple's status table, with our
 * actions: docs/protocol/legacy-binary.md, "Error response and status bytes"), or the silence of the
 * delivery window, becomes the same {@link Verdict} the HTTP/2 client returns.
 *
 *   status  name                 action     outcome        Verdict.status (HTTP-like class)
 *   (none)  delivered            -          delivered      200
 *   1       ProcessingError      retry      retry          500
 *   2,3,4   Missing*             fix        rejected       400
 *   5       InvalidTokenSize     token      token-invalid  400
 *   6,7     Invalid*Size         fix        rejected       400   (7: 413, as HTTP/2's PayloadTooLarge)
 *   8       InvalidToken         token      token-invalid  400
 *   10      Shutdown             reconnect  (never a verdict: the named one was processed OK)
 *   128     ProtocolError        fix        rejected       400
 *   0, 255, unknown              reconnect/retry  retry    500
 *
 * `reason` is the status' name in LEGACY_STATUSES (`InvalidToken`, `InvalidTokenSize`...), `legacyStatus`
 * the byte itself. The binary protocol carries no timestamp for a dead token.
 */
import { legacyStatusInfo, outcomeFor, type Verdict } from '@pushfleet/apns';

/** The HTTP-like class of a legacy status byte, for dashboards that group by status. */
export function legacyHttpStatus(status: number): number {
  if (status === 7) return 413;
  if (status >= 2 && status <= 8) return 400;
  if (status === 128) return 400;
  if (status === 10) return 503;
  return 500;
}

/** The verdict for a notification an error response named (any status but 10). */
export function legacyErrorVerdict(status: number, apnsId: string): Verdict {
  const info = legacyStatusInfo(status);
  return {
    outcome: outcomeFor(info.action),
    action: info.action,
    status: legacyHttpStatus(status),
    reason: info.name,
    apnsId,
    legacyStatus: status,
  };
}

/** The verdict for a notification no error named within the delivery window. */
export function legacyDeliveredVerdict(apnsId: string): Verdict {
  return { outcome: 'delivered', action: undefined, status: 200, apnsId };
}
