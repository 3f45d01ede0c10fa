/**
 * The faults a chaos run needs beyond resets: a connection that goes silent (silentDisconnectRate), an
 * endpoint that is down for a while (outageMs), and the recorder's `ids` mode that counts each apns-id's
 * acceptances. Observed from a raw node:http2 client over TLS.
 */
import { randomUUID } from 'node:crypto';
import type { ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProviderKey } from '../certs/provider-key.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { TLS } from './__fixtures__/shared-tls.js';
import { closeSession, connectTo, send } from './__fixtures__/test-client.js';
import type { FaultConfig } from './fault-injector.js';
import type { RecordMode } from './recorder.js';
import { type Simulator, startSimulator } from './start-simulator.js';

const key = createProviderKey();
const HEADERS = {
  authorization: `bearer ${signProviderToken(key)}`,
  'apns-topic': 'com.example.app',
  'apns-push-type': 'alert',
};
const sessions: ClientHttp2Session[] = [];
const sims: Simulator[] = [];

async function simulator(faults?: FaultConfig, record?: RecordMode): Promise<Simulator> {
  const sim = await startSimulator({ tls: TLS, certificatePort: null, keys: [key], faults, record });
  sims.push(sim);
  return sim;
}
async function connection(sim: Simulator): Promise<ClientHttp2Session> {
  const s = await connectTo(sim.url, { ca: sim.ca });
  sessions.push(s);
  return s;
}
/** Resolves 'answered', 'failed' or 'nothing' (no answer, no error) after `ms`. */
function fateOf(s: ClientHttp2Session, ms: number): Promise<'answered' | 'failed' | 'nothing'> {
  return new Promise((resolve) => {
    const stream = s.request({ ':method': 'POST', ':path': `/3/device/${'a1'.repeat(32)}`, ...HEADERS });
    const timer = setTimeout(() => resolve('nothing'), ms);
    stream.on('response', () => {
      clearTimeout(timer);
      resolve('answered');
    });
    stream.on('error', () => {
      clearTimeout(timer);
      resolve('failed');
    });
    stream.end('{"aps":{"alert":"hi"}}');
  });
}

afterEach(async () => {
  for (const s of sessions.splice(0)) if (!s.destroyed) s.destroy();
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

describe('silentDisconnectRate', () => {
  it('1: the connection answers nothing again, neither GOAWAY nor RST, and a PING gets no ACK; a new connection works', async () => {
    const sim = await simulator({ silentDisconnectRate: 1, seed: 3 });
    const s = await connection(sim);
    let goaway = false;
    s.on('goaway', () => {
      goaway = true;
    });
    expect(await fateOf(s, 300)).toBe('nothing');
    expect(sim.faults.counters.silenced).toBe(1);
    // Later streams and a PING vanish too: only the client's own timeouts can tell.
    expect(await fateOf(s, 300)).toBe('nothing');
    const ping = new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no ack'), 300);
      s.ping(() => {
        clearTimeout(timer);
        resolve('ack');
      });
    });
    expect(await ping).toBe('no ack');
    expect(goaway).toBe(false);
    expect(s.destroyed).toBe(false);
    expect(sim.recorder.counters).toMatchObject({ accepted: 0, rejected: 0 });

    sim.faults.clear();
    const fresh = await connection(sim);
    expect((await send(fresh, { headers: HEADERS })).status).toBe(200);
    await closeSession(fresh);
  });

  it('refuses a share that, with the resets, adds up to more than 1', async () => {
    const sim = await simulator();
    expect(() => sim.faults.set({ silentDisconnectRate: 0.6, resetRate: 0.5 })).toThrow(
      /resetRate \+ disconnectRate \+ silentDisconnectRate/,
    );
    expect(() => sim.faults.set({ silentDisconnectRate: 2 })).toThrow(
      /silentDisconnectRate must be between 0 and 1/,
    );
  });
});

describe('outageMs', () => {
  it('open connections are reset at once, new ones refused while it lasts, accepted after', async () => {
    const sim = await simulator();
    const open = await connection(sim);
    expect((await send(open, { headers: HEADERS })).status).toBe(200);
    const closed = new Promise((resolve) => open.once('close', resolve));
    sim.faults.set({ outageMs: 400 });
    await closed;
    expect(sim.faults.counters.outageResets).toBe(1);
    await expect(connectTo(sim.url, { ca: sim.ca })).rejects.toThrow(/ECONNRESET|socket|disconnected/i);
    expect(sim.faults.counters.refusedConnections).toBeGreaterThanOrEqual(1);
    await vi.waitFor(
      async () => {
        const later = await connection(sim);
        expect((await send(later, { headers: HEADERS })).status).toBe(200);
      },
      { timeout: 3000, interval: 100 },
    );
  });
});

describe("the recorder's ids mode", () => {
  it('counts every acceptance per apns-id, keeps no records, and forgets on clear()', async () => {
    const sim = await simulator(undefined, 'ids');
    const s = await connection(sim);
    const [a, b] = [randomUUID(), randomUUID()];
    for (const id of [a, b, a, a]) {
      expect((await send(s, { headers: { ...HEADERS, 'apns-id': id } })).status).toBe(200);
    }
    expect(sim.recorder.accepted).toEqual([]);
    expect(sim.recorder.counters.accepted).toBe(4);
    expect(new Map(sim.recorder.acceptedIds)).toEqual(
      new Map([
        [a, 3],
        [b, 1],
      ]),
    );
    sim.recorder.clear();
    expect(sim.recorder.acceptedIds.size).toBe(0);
    await closeSession(s);
  });
});
