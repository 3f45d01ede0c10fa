/**
 * The management API on its own port and the broadcast route on the push port, over real TLS + HTTP/2
 * (docs/protocol/broadcast.md E.2, E.3, E.7), driven by a bare node:http2 client; curl --http2 on the management
 * port. Every reason is also produced and classified by the provider client in packages/apns.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderKey } from '../certs/provider-key.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { TLS } from '../server/__fixtures__/shared-tls.js';
import { closeSession, connectTo, send, type TestRequest } from '../server/__fixtures__/test-client.js';
import { type Simulator, startSimulator } from '../server/start-simulator.js';
import { ChannelStore } from './channel-store.js';

const APP = 'com.example.live';
const OFF = 'com.example.off';
const key = createProviderKey({ teamId: 'TEAMLIVE01' });
const jwt = signProviderToken(key);
const auth = { authorization: `bearer ${jwt}` };
const CREATE_1 = '{"message-storage-policy": 1, "push-type": "LiveActivity"}';
const CREATE_0 = '{"message-storage-policy": 0, "push-type": "LiveActivity"}';

let sim: Simulator;
let manage: ClientHttp2Session;
let push: ClientHttp2Session;

beforeAll(async () => {
  sim = await startSimulator({
    tls: TLS,
    certificatePort: null,
    keys: [key],
    topics: [APP, OFF],
    broadcast: { channelLimit: 3, capabilityOff: [OFF] },
  });
  manage = await connectTo(sim.managementUrl!, { ca: sim.ca });
  push = await connectTo(sim.url, { ca: sim.ca });
});
afterEach(() => {
  sim.channels.clear();
  sim.broadcasts.clear();
  sim.broadcastRules.clear();
});
afterAll(async () => {
  await Promise.all([closeSession(manage), closeSession(push)]);
  await sim.close();
});

const channels = (
  headers: TestRequest['headers'],
  method = 'POST',
  body: string | undefined = CREATE_1,
  bundle = APP,
) => send(manage, { method, path: `/1/apps/${bundle}/channels`, headers: { ...auth, ...headers }, body });
const create = async (body = CREATE_1) => {
  const r = await channels({}, 'POST', body);
  expect(r.status).toBe(201);
  return String(r.headers['apns-channel-id']);
};
const list = async () =>
  (await send(manage, { method: 'GET', path: `/1/apps/${APP}/all-channels`, headers: auth })).body;
const broadcast = (
  headers: TestRequest['headers'],
  body = '{"aps":{"event":"update","timestamp":1,"content-state":{}}}',
) =>
  send(push, {
    path: `/4/broadcasts/apps/${APP}`,
    headers: {
      ...auth,
      'apns-push-type': 'liveactivity',
      'apns-expiration': '0',
      'apns-priority': '10',
      ...headers,
    },
    body,
  });

describe('channel management', () => {
  it('creates (201, a 24-character base64 id), reads, lists, deletes; a deleted channel is not registered', async () => {
    const r = await channels({ 'apns-request-id': '0a1b2c3d-0000-4000-8000-000000000001' });
    expect(r.status).toBe(201);
    expect(r.headers['apns-request-id']).toBe('0a1b2c3d-0000-4000-8000-000000000001');
    const id = String(r.headers['apns-channel-id']);
    expect(id).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const read = await channels({ 'apns-channel-id': id }, 'GET', undefined);
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toEqual({ 'message-storage-policy': 1, 'push-type': 'LiveActivity' });
    expect(JSON.parse(await list())).toEqual({ channels: [id] });
    const del = await channels({ 'apns-channel-id': id }, 'DELETE', undefined);
    expect(del.status).toBe(204);
    expect(del.headers['apns-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Only Apple's headers: no `date` (node:http2 adds one unless told not to).
    for (const answer of [r, read, del]) expect(answer.headers.date).toBeUndefined();
    expect(Object.keys(r.headers).sort()).toEqual([':status', 'apns-channel-id', 'apns-request-id']);
    expect((await channels({ 'apns-channel-id': id }, 'GET', undefined)).reason).toBe('ChannelNotRegistered');
    expect(JSON.parse(await list())).toEqual({ channels: [] });
  });

  it('answers the E.7.1 reasons in order', async () => {
    const path = (p: string, method = 'GET') => send(manage, { method, path: p, headers: auth });
    const badPath = await path('/1/apps/x/nothing');
    expect(badPath.reason).toBe('BadPath');
    expect(Object.keys(badPath.headers).sort()).toEqual([':status', 'apns-request-id', 'content-type']);
    expect((await path(`/1/apps/${APP}/all-channels`, 'POST')).reason).toBe('MethodNotAllowed');
    expect((await channels({ 'x-a': ['1', '2'] })).reason).toBe('DuplicateHeaders');
    expect((await channels({ authorization: '' })).reason).toBe('MissingProviderToken');
    expect((await channels({ authorization: 'bearer nope' })).reason).toBe('InvalidProviderToken');
    expect((await channels({}, 'POST', CREATE_1, `${APP}.push-type.liveactivity`)).reason).toBe(
      'TopicDisallowed',
    );
    expect((await channels({}, 'POST', CREATE_1, 'com.example.other')).reason).toBe('TopicMismatch');
    expect((await channels({}, 'POST', CREATE_1, OFF)).reason).toBe('FeatureNotEnabled');
    expect((await channels({}, 'POST', '')).reason).toBe('BadRequestPayload');
    expect(
      (await channels({}, 'POST', '{"message-storage-policy":1,"push-type":"LiveActivity","x":1}')).reason,
    ).toBe('BadRequestParams');
    expect(
      (await channels({}, 'POST', '{"message-storage-policy":"1","push-type":"LiveActivity"}')).reason,
    ).toBe('MissingChannelQueueSize');
    expect((await channels({}, 'POST', '{"message-storage-policy":1}')).reason).toBe('MissingPushType');
    expect((await channels({}, 'POST', '{"message-storage-policy":1,"push-type":"alert"}')).reason).toBe(
      'InvalidPushType',
    );
    expect((await channels({}, 'GET', undefined)).reason).toBe('MissingChannelId');
    expect((await channels({ 'apns-channel-id': 'not base64!' }, 'GET', undefined)).reason).toBe(
      'BadChannelId',
    );
    expect((await channels({ 'apns-channel-id': 'dHN0LXNyY2gtY2hubA==' }, 'DELETE', undefined)).reason).toBe(
      'ChannelNotRegistered',
    );
  });

  it('refuses a create past the channel limit, and a forced 429 makes no channel', async () => {
    for (let i = 0; i < 3; i++) await create();
    const full = await channels({});
    expect([full.status, full.reason]).toEqual([400, 'CannotCreateChannelConfig']);
    sim.channels.clear();
    sim.broadcastRules.add({ operation: 'create', reason: 'TooManyRequests', times: 1 });
    expect((await channels({})).status).toBe(429);
    expect(JSON.parse(await list())).toEqual({ channels: [] });
  });

  it('holds 10,000 live channels per bundle id by default, then refuses', () => {
    const store = new ChannelStore();
    for (let i = 0; i < 10_000; i++) expect(store.create(APP, 0, 'LiveActivity', 0)).toBeDefined();
    expect(store.create(APP, 0, 'LiveActivity', 0)).toBeUndefined();
    expect(store.create('com.example.second', 0, 'LiveActivity', 0)).toBeDefined();
  });
});

describe('broadcast on the push port', () => {
  it('answers 200 with apns-request-id and apns-unique-id, and records the broadcast with its channel id', async () => {
    const id = await create(CREATE_0);
    const r = await broadcast({
      'apns-channel-id': id,
      'apns-request-id': '0a1b2c3d-0000-4000-8000-000000000002',
    });
    expect(r.status).toBe(200);
    expect(r.headers['apns-request-id']).toBe('0a1b2c3d-0000-4000-8000-000000000002');
    expect(Object.keys(r.headers).sort()).toEqual([':status', 'apns-request-id', 'apns-unique-id']);
    const [record] = await sim.broadcasts.waitFor(1);
    expect(record).toMatchObject({
      channelId: id,
      bundleId: APP,
      uniqueId: r.headers['apns-unique-id'],
      warnings: [],
    });
  });

  it('a policy-1 channel keeps the latest message until its expiration; policy 0 refuses a nonzero expiration', async () => {
    const stored = await create(CREATE_1);
    const later = String(Math.floor(Date.now() / 1000) + 600);
    await broadcast({ 'apns-channel-id': stored, 'apns-expiration': later }, '{"aps":{"n":1}}');
    await broadcast({ 'apns-channel-id': stored, 'apns-expiration': later }, '{"aps":{"n":2}}');
    expect(sim.channels.storedMessage(APP, stored, Date.now())?.payload).toBe('{"aps":{"n":2}}');
    const none = await create(CREATE_0);
    expect((await broadcast({ 'apns-channel-id': none, 'apns-expiration': later })).reason).toBe(
      'BadExpirationDate',
    );
  });

  it('answers the E.7.2 reasons in order, and 5120 bytes pass where 5121 are too large', async () => {
    const id = await create(CREATE_0);
    const ch = { 'apns-channel-id': id };
    expect(
      (await send(push, { method: 'GET', path: `/4/broadcasts/apps/${APP}`, headers: auth })).reason,
    ).toBe('MethodNotAllowed');
    expect((await send(push, { path: '/4/broadcast', headers: auth })).reason).toBe('BadPath');
    expect((await broadcast({})).reason).toBe('MissingChannelId');
    expect((await broadcast({ 'apns-channel-id': '***' })).reason).toBe('BadChannelId');
    expect((await broadcast({ ...ch, 'apns-push-type': 'alert' })).reason).toBe('InvalidPushType');
    expect((await broadcast({ ...ch, 'apns-expiration': 'soon' })).reason).toBe('BadExpirationDate');
    expect((await broadcast({ ...ch, 'apns-priority': '7' })).reason).toBe('BadPriority');
    expect((await broadcast({ ...ch, 'apns-id': 'x' })).reason).toBe('BadMessageId');
    expect((await broadcast({ 'apns-channel-id': 'dHN0LXNyY2gtY2hubA==' })).reason).toBe(
      'ChannelNotRegistered',
    );
    expect((await broadcast(ch, '[1]')).reason).toBe('BadRequestPayload');
    const fill = (n: number) => `{"aps":{"x":"${'a'.repeat(n - 16)}"}}`;
    expect(fill(5120).length).toBe(5120);
    expect((await broadcast(ch, fill(5120))).status).toBe(200);
    const big = await broadcast(ch, fill(5121));
    expect([big.status, big.reason]).toEqual([413, 'PayloadTooLarge']);
    expect(sim.broadcasts.rejected.map((r) => r.reason)).toContain('PayloadTooLarge');
  });

  it('lints a start sent to a channel and an apns-topic, but accepts them', async () => {
    const id = await create(CREATE_0);
    const r = await broadcast(
      { 'apns-channel-id': id, 'apns-topic': APP },
      '{"aps":{"event":"start","timestamp":1,"content-state":{}}}',
    );
    expect(r.status).toBe(200);
    const [record] = await sim.broadcasts.waitFor(1);
    expect(record?.warnings).toContain('aps.event: a broadcast cannot start a Live Activity');
    expect(record?.warnings).toContain('apns-topic: sent on a broadcast');
  });
});

const hasCurlHttp2 = (() => {
  const r = spawnSync('curl', ['--version']);
  return r.status === 0 && /HTTP2/.test(r.stdout.toString());
})();

describe('curl --http2 against the management port', () => {
  it.skipIf(!hasCurlHttp2)('creates a channel, then lists it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-manage-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, sim.ca);
    const curl = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          'curl',
          [
            '--silent',
            '--show-error',
            '--include',
            '--http2',
            '--cacert',
            caFile,
            '-H',
            `authorization: bearer ${jwt}`,
            ...args,
          ],
          { timeout: 8000 },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        ),
      );
    try {
      const created = await curl(['--data', CREATE_1, `${sim.managementUrl}/1/apps/${APP}/channels`]);
      expect(created).toMatch(/^HTTP\/2 201 ?\r?\n/);
      const id = /^apns-channel-id: (\S+)\r?$/m.exec(created)?.[1];
      expect(id).toBeDefined();
      const listed = await curl([`${sim.managementUrl}/1/apps/${APP}/all-channels`]);
      expect(listed).toMatch(/^HTTP\/2 200 ?\r?\n/);
      expect(listed.endsWith(JSON.stringify({ channels: [id] }))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
