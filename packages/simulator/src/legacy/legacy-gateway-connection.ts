/**
 * One connection to the legacy gateway (docs/protocol/legacy-binary.md):
 *
 *   certificate without this environment's extension, or not a push certificate
 *       -> close at once, no error packet [Seen]
 *   bytes -> FrameDecoder (commands 0, 1, 2, split anywhere), then per notification, in order:
 *       decode fault                          -> its status (2, 4, 5, 7, 128)
 *       token dead / other environment / other app (DeviceRegistry)   -> 8
 *       rejectEvery hit                        -> rejectStatus (8 by default)
 *       otherwise recorded; the shutdownAfter-th on this connection -> 10 with its identifier
 *   an answer is `08 ss iiiiiiii` (identifier bytes echoed as sent), then every later byte is ignored and
 *   the connection closed (one packet, then close [Apple]; ignoring the rest [Ours]). Command 0 has no error
 *   response [Apple]: a fault in one closes the connection silently.
 */
import type { TLSSocket } from 'node:tls';
import { type DecodedNotification, encodeErrorResponse, FrameDecoder } from '@pushfleet/apns-legacy';
import type { LegacyFaults } from './legacy-gateway-options.js';
import type { LegacyRecorder } from './legacy-recorder.js';
import type { LegacyServiceContext } from './legacy-service.js';

const INVALID_TOKEN = 8;
const SHUTDOWN = 10;

/** What every connection of one gateway shares. */
export interface LegacyGatewayContext extends LegacyServiceContext {
  readonly recorder: LegacyRecorder;
  readonly maxPayloadBytes: number;
  readonly lingerMs: number;
  readonly now: () => number;
  readonly faults: () => LegacyFaults;
  /** Counts every notification read (for `rejectEvery`); returns the new count. */
  readonly countFrame: () => number;
}

export function serveLegacyConnection(
  socket: TLSSocket,
  connectionId: number,
  ctx: LegacyGatewayContext,
): void {
  socket.on('error', () => {});
  const identity = ctx.identities.get(socket.getPeerX509Certificate());
  if (identity.problem !== undefined || identity.uid === undefined) {
    ctx.recorder.onConnection(true);
    socket.end(); // a clean TLS close: no error packet, no reset
    setTimeout(() => socket.destroy(), ctx.lingerMs).unref();
    return;
  }
  ctx.recorder.onConnection(false);
  const topic = identity.uid;
  const decoder = new FrameDecoder({ maxPayloadBytes: ctx.maxPayloadBytes });
  let frames = 0;
  let done = false;

  const answer = (command: number, status: number, idBytes: Buffer, problem: string, token?: string) => {
    done = true;
    ctx.recorder.onErrorResponse({
      token,
      status,
      identifier: idBytes.readUInt32BE(0),
      command,
      problem,
      receivedAt: ctx.now(),
      connectionId,
    });
    if (command === 0 && status !== SHUTDOWN) socket.end();
    else socket.end(encodeErrorResponse(status, idBytes));
    setTimeout(() => socket.destroy(), ctx.lingerMs).unref();
  };

  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    for (const event of decoder.push(chunk)) {
      if (event.kind === 'error') {
        answer(event.command, event.status, event.identifierBytes, event.problem);
        return;
      }
      const faults = ctx.faults();
      const count = ctx.countFrame();
      const refusal = tokenProblem(event, topic, ctx);
      if (refusal !== undefined || (faults.rejectEvery > 0 && count % faults.rejectEvery === 0)) {
        const problem = refusal ?? `rejectEvery ${faults.rejectEvery}: notification #${count}`;
        const status = refusal === undefined ? faults.rejectStatus : INVALID_TOKEN;
        answer(event.command, status, event.identifierBytes, problem, event.token);
        return;
      }
      frames++;
      ctx.recorder.onAccepted(
        ctx.recorder.keepsRecords
          ? {
              token: event.token,
              topic,
              payload: event.payload.toString('utf8'),
              identifier: event.identifier,
              expiry: event.expiry,
              priority: event.priority,
              command: event.command,
              receivedAt: ctx.now(),
              connectionId,
            }
          : undefined,
      );
      if (faults.shutdownAfter > 0 && frames >= faults.shutdownAfter) {
        answer(event.command, SHUTDOWN, event.identifierBytes, `shutdownAfter ${faults.shutdownAfter}`);
        return;
      }
    }
  });
}

/** Why the token cannot take this notification (status 8), if it cannot. */
function tokenProblem(n: DecodedNotification, topic: string, ctx: LegacyGatewayContext): string | undefined {
  const state = ctx.devices.get(n.token);
  if (state === undefined) return undefined;
  if (state.dead !== undefined) return `token is dead (${state.dead.reason})`;
  if (state.environment !== undefined && state.environment !== ctx.environment) {
    return `token is for the ${state.environment} environment`;
  }
  if (state.topic !== undefined && state.topic !== topic)
    return `token belongs to ${state.topic}, not ${topic}`;
  return undefined;
}
