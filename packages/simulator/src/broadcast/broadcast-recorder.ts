/**
 * What the broadcast and management routes saw: every accepted broadcast (with its channel, its ids and the
 * Live Activity lint warnings) and every rejection on either route, with `waitFor(n)` on broadcasts.
 */
import { RecordLog, type RecordMode } from '../server/record-log.js';
import type { BroadcastOperation } from './broadcast-rules.js';

export interface RecordedBroadcast {
  readonly uniqueId: string;
  readonly requestId: string;
  readonly bundleId: string;
  readonly channelId: string;
  readonly storagePolicy: 0 | 1;
  /** Every `apns-*` request header as sent (`authorization` is never recorded). */
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: string;
  /** live-activity-lint.ts: what a device would drop. */
  readonly warnings: readonly string[];
  readonly receivedAt: number;
  readonly connectionId: number;
  readonly auth: 'token' | 'certificate';
}

export interface RecordedBroadcastRejection {
  readonly requestId: string;
  /** `undefined` when the route itself was wrong (BadPath, MethodNotAllowed). */
  readonly operation: BroadcastOperation | undefined;
  readonly path: string;
  readonly status: number;
  readonly reason: string;
  readonly receivedAt: number;
}

export class BroadcastRecorder extends RecordLog<RecordedBroadcast, RecordedBroadcastRejection> {
  constructor(mode: RecordMode = 'all', limit = 100_000) {
    super(mode, limit, 'broadcasts');
  }

  get counters(): { readonly accepted: number; readonly rejected: number } {
    return { accepted: this.acceptedCount, rejected: this.rejectedCount };
  }

  /** @internal */
  onRejected(record: RecordedBroadcastRejection): void {
    this.addRejected(record);
  }
}
