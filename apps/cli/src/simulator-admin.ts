/**
 * The simulator's admin endpoint, plain HTTP JSON on loopback, so a test suite in any language can drive
 * `pushfleet simulator` the way `@pushfleet/simulator`'s own API does in TypeScript:
 *
 *   GET    /recorder                    { counters, accepted, rejected, broadcasts, legacy? }: what arrived and what
 *                                       was answered (broadcasts: { counters, accepted, rejected, channels })
 *   GET    /delivery-log/UNIQUE_ID      the push answered with that apns-unique-id (Apple's delivery log, development)
 *   POST   /recorder/clear              forget it all
 *   GET    /devices                     every token with a state (dead, topic, environment)
 *   POST   /devices/:token/dead         { "reason"?: "Unregistered" | "ExpiredToken", "timestamp"?: ms }: 410 from now on
 *   DELETE /devices/:token              the token is valid again
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DeadReason, Simulator } from '@pushfleet/simulator';

const HEX = /^[0-9a-fA-F]{2,200}$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 65_536) throw new Error('body: over 64 KiB');
  }
  if (text.trim() === '') return {};
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('body: must be a JSON object');
  return value as Record<string, unknown>;
}

export function createSimulatorAdmin(sim: Simulator): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const device = /^\/devices\/([^/]+)(\/dead)?$/.exec(path);
    (async () => {
      if (req.method === 'GET' && path === '/recorder') {
        return send(res, 200, {
          counters: sim.recorder.counters,
          accepted: sim.recorder.accepted,
          rejected: sim.recorder.rejected,
          broadcasts: {
            counters: sim.broadcasts.counters,
            accepted: sim.broadcasts.accepted,
            rejected: sim.broadcasts.rejected,
          },
          ...(sim.legacy
            ? {
                legacy: {
                  counters: sim.legacy.recorder.counters,
                  accepted: sim.legacy.recorder.accepted,
                  rejected: sim.legacy.recorder.rejected,
                },
              }
            : {}),
        });
      }
      const logged = /^\/delivery-log\/([0-9a-f-]{36})$/.exec(path);
      if (req.method === 'GET' && logged) {
        const record = sim.recorder.findByUniqueId(logged[1]!);
        return record
          ? send(res, 200, record)
          : send(res, 404, {
              error: { field: 'uniqueId', problem: 'no push was answered with this apns-unique-id' },
            });
      }
      if (req.method === 'POST' && path === '/recorder/clear') {
        sim.recorder.clear();
        sim.broadcasts.clear();
        sim.legacy?.recorder.clear();
        return send(res, 200, { cleared: true });
      }
      if (req.method === 'GET' && path === '/devices') {
        return send(res, 200, { devices: Object.fromEntries(sim.devices.entries()) });
      }
      if (device) {
        const token = device[1]!;
        if (!HEX.test(token)) return send(res, 400, { error: { field: 'token', problem: 'must be hex' } });
        if (req.method === 'POST' && device[2]) {
          const body = await readJson(req);
          const reason = body.reason ?? 'Unregistered';
          if (reason !== 'Unregistered' && reason !== 'ExpiredToken')
            return send(res, 400, {
              error: { field: 'reason', problem: 'must be Unregistered or ExpiredToken' },
            });
          if (
            body.timestamp !== undefined &&
            (typeof body.timestamp !== 'number' || !Number.isFinite(body.timestamp))
          )
            return send(res, 400, { error: { field: 'timestamp', problem: 'must be ms since the epoch' } });
          sim.devices.markDead(token, {
            reason: reason as DeadReason,
            ...(typeof body.timestamp === 'number' ? { timestamp: body.timestamp } : {}),
          });
          return send(res, 200, { token: token.toLowerCase(), ...sim.devices.get(token) });
        }
        if (req.method === 'DELETE' && !device[2]) {
          sim.devices.markValid(token);
          return send(res, 200, { token: token.toLowerCase(), valid: true });
        }
      }
      send(res, 404, {
        error: {
          field: 'path',
          problem: `${req.method} ${path} is not an endpoint (GET /recorder, POST /recorder/clear, GET /devices, POST /devices/TOKEN/dead, DELETE /devices/TOKEN)`,
        },
      });
    })().catch((err: Error) => send(res, 400, { error: { field: 'body', problem: err.message } }));
  });
}
