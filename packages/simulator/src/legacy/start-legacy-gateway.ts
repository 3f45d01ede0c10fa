/**
 * `startLegacyGateway`: the legacy binary notification gateway (docs/protocol/legacy-binary.md) on a TLS
 * port with client certificates. What each connection does is in legacy-gateway-connection.ts; everything a
 * test needs hangs off the returned object: the recorder (what arrived, what was answered), the device
 * registry (token state, shared with the HTTP/2 server inside `startSimulator`), and the faults.
 */
import { type LegacyGatewayContext, serveLegacyConnection } from './legacy-gateway-connection.js';
import {
  checkFaults,
  DEFAULT_LEGACY_GATEWAY_OPTIONS as D,
  type LegacyFaults,
  type LegacyGatewayOptions,
} from './legacy-gateway-options.js';
import { LegacyRecorder } from './legacy-recorder.js';
import { type LegacyService, startLegacyService } from './legacy-service.js';

export interface LegacyGateway extends LegacyService {
  readonly recorder: LegacyRecorder;
  /** The faults in force. */
  readonly faults: LegacyFaults;
  /** Change faults on the running gateway (from the next notification on). */
  configure(faults: Partial<LegacyFaults>): void;
  /** Connections open now. */
  readonly connectionCount: number;
  /** Drop every open connection at once, with no error packet (a network failure); keeps listening. */
  dropConnections(): void;
}

export async function startLegacyGateway(options: LegacyGatewayOptions = {}): Promise<LegacyGateway> {
  checkFaults(options.faults ?? {});
  let faults: LegacyFaults = {
    rejectEvery: options.faults?.rejectEvery ?? D.rejectEvery,
    shutdownAfter: options.faults?.shutdownAfter ?? D.shutdownAfter,
    rejectStatus: options.faults?.rejectStatus ?? D.rejectStatus,
  };
  const recorder = new LegacyRecorder(options.record ?? D.record, options.recordLimit ?? D.recordLimit);
  let frameCount = 0;
  let nextConnectionId = 1;
  const { handle, service } = await startLegacyService(options, (shared) => {
    const context: LegacyGatewayContext = {
      ...shared,
      recorder,
      maxPayloadBytes: options.maxPayloadBytes ?? D.maxPayloadBytes,
      lingerMs: options.lingerMs ?? D.lingerMs,
      now: options.now ?? Date.now,
      faults: () => faults,
      countFrame: () => ++frameCount,
    };
    return (socket) => serveLegacyConnection(socket, nextConnectionId++, context);
  });
  return {
    ...handle,
    recorder,
    get faults() {
      return faults;
    },
    configure(patch) {
      checkFaults(patch);
      faults = { ...faults, ...patch };
    },
    get connectionCount() {
      return service.connectionCount;
    },
    dropConnections: service.dropConnections,
  };
}
