/**
 * `pushfleet start`'s simulator as two processes behind one port: a channel created through one of them is
 * known to both (each relays its changes through the primary), so broadcasts over new connections, which
 * node:cluster hands to the processes in turn, are all accepted; once deleted, by all refused.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BroadcastClient, ChannelClient, Http2Pool, ProviderToken } from '@pushfleet/apns';
import { loadSigningKey } from '@pushfleet/credentials';
import { afterAll, describe, expect, it } from 'vitest';
import { type FleetChild, startChild } from './children.js';
import { ensureSimulatorCredentials } from './simulator-credentials.js';

const TOPIC = 'com.example.pushfleet';
// The process itself runs from the build (as `pushfleet start` runs it), like the other spawned entry points.
process.env.PUSHFLEET_SIMULATOR_MAIN = fileURLToPath(new URL('../dist/simulator-main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pushfleet-sim-main-'));
let sim: FleetChild | undefined;
const others: FleetChild[] = [];
afterAll(async () => {
  delete process.env.PUSHFLEET_SIMULATOR_MAIN;
  await sim?.stop();
  await Promise.all(others.map((o) => o.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('simulator-main with PUSHFLEET_SIMULATOR_PROCESSES=2', () => {
  it('shares the channel registry between its processes: every connection sees a create and a delete', async () => {
    const simDir = join(dir, 'simulator');
    sim = await startChild(
      'simulator',
      {
        PUSHFLEET_SIMULATOR_DIR: simDir,
        PUSHFLEET_SIMULATOR_TOPIC: TOPIC,
        PUSHFLEET_SIMULATOR_PROCESSES: '2',
      },
      join(dir, 'logs'),
    );
    const creds = await ensureSimulatorCredentials(simDir, TOPIC);
    const auth = () =>
      ({
        kind: 'token',
        token: new ProviderToken({
          key: loadSigningKey(readFileSync(creds.keyFile, 'utf8'), 'simulator key'),
          keyId: creds.keyId,
          teamId: creds.teamId,
        }),
      }) as const;
    const url = String(sim.ready.url);
    const channels = new ChannelClient({
      url: String(sim.ready.managementUrl),
      ca: creds.caPem,
      auth: auth(),
    });
    /** One broadcast on a connection of its own (the cluster deals connections to the processes in turn). */
    const broadcastOnNewConnection = async (channelId: string) => {
      const client = new BroadcastClient({ url, ca: creds.caPem, auth: auth() });
      try {
        return await client.send({ bundleId: TOPIC, channelId, payload: '{"aps":{"event":"update"}}' });
      } finally {
        await client.close();
      }
    };
    try {
      const created = await channels.create(TOPIC, { storagePolicy: 0 });
      expect(created.outcome).toBe('ok');
      const id = created.channelId!;
      const sent = [];
      for (let i = 0; i < 6; i++) sent.push(await broadcastOnNewConnection(id));
      expect(sent.map((v) => v.outcome)).toEqual(Array(6).fill('ok'));

      expect((await channels.delete(TOPIC, id)).outcome).toBe('ok');
      const after = [];
      for (let i = 0; i < 6; i++) after.push(await broadcastOnNewConnection(id));
      expect(after.filter((v) => v.outcome === 'ok')).toEqual([]);
    } finally {
      await channels.close();
    }
  }, 60_000);
});

describe('simulator-main with PUSHFLEET_SIMULATOR_ENVIRONMENT', () => {
  /** One notification through a simulator-main child of `environment` (unset: the default). */
  const deliverOne = async (name: string, environment?: string) => {
    const simDir = join(dir, name);
    const child = await startChild(
      'simulator',
      {
        PUSHFLEET_SIMULATOR_DIR: simDir,
        PUSHFLEET_SIMULATOR_TOPIC: TOPIC,
        PUSHFLEET_SIMULATOR_PROCESSES: '1',
        ...(environment ? { PUSHFLEET_SIMULATOR_ENVIRONMENT: environment } : {}),
      },
      join(dir, 'logs'),
    );
    others.push(child);
    const creds = await ensureSimulatorCredentials(simDir, TOPIC);
    const token = new ProviderToken({
      key: loadSigningKey(readFileSync(creds.keyFile, 'utf8'), 'simulator key'),
      keyId: creds.keyId,
      teamId: creds.teamId,
    });
    const pool = new Http2Pool({
      url: String(child.ready.url),
      ca: creds.caPem,
      auth: { kind: 'token', token },
    });
    try {
      return await pool.send({
        token: 'ab'.repeat(32),
        topic: TOPIC,
        pushType: 'alert',
        payload: '{"aps":{}}',
      });
    } finally {
      await pool.close();
    }
  };

  it('plays the sandbox by default (a unique id on every 200) and production when asked (none)', async () => {
    const sandbox = await deliverOne('sandbox');
    expect(sandbox.outcome).toBe('delivered');
    expect(sandbox.uniqueId).toMatch(/^[0-9a-f-]{36}$/i);
    const production = await deliverOne('production', 'production');
    expect(production.outcome).toBe('delivered');
    expect(production.uniqueId).toBeUndefined();
  }, 60_000);

  it('refuses any other value, naming the variable', async () => {
    await expect(deliverOne('bad', 'staging')).rejects.toThrow(
      /PUSHFLEET_SIMULATOR_ENVIRONMENT must be development or production; got "staging"/,
    );
  }, 60_000);
});
