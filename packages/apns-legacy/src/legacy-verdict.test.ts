import { describe, expect, it } from 'vitest';
import { legacyDeliveredVerdict, legacyErrorVerdict } from './legacy-verdict.js';

describe('legacy verdicts (status byte action table)', () => {
  it.each([
    [8, 'token-invalid', 'token', 'InvalidToken', 400],
    [5, 'token-invalid', 'token', 'InvalidTokenSize', 400],
    [7, 'rejected', 'fix', 'InvalidPayloadSize', 413],
    [2, 'rejected', 'fix', 'MissingDeviceToken', 400],
    [128, 'rejected', 'fix', 'ProtocolError', 400],
    [1, 'retry', 'retry', 'ProcessingError', 500],
    [255, 'retry', 'retry', 'None', 500],
    [0, 'retry', 'reconnect', 'NoErrors', 500],
    [42, 'retry', 'retry', 'Status42', 500],
  ])('status %i -> %s (%s, %s, %i)', (status, outcome, action, reason, http) => {
    expect(legacyErrorVerdict(status, 'x')).toEqual({
      outcome,
      action,
      reason,
      status: http,
      apnsId: 'x',
      legacyStatus: status,
    });
  });

  it('delivered is a 200 with no action', () => {
    expect(legacyDeliveredVerdict('y')).toEqual({
      outcome: 'delivered',
      action: undefined,
      status: 200,
      apnsId: 'y',
    });
  });
});
