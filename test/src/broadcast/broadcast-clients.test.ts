/**
 * ChannelClient, BroadcastClient and RouteClient (packages/apns) against the simulator over real TLS + HTTP/2:
 * every reason of Apple's broadcast error table (docs/protocol/broadcast.md E.4) produced by a request and
 * classified by the client's verdict; a create answered only after the client's timeout is reconciled into
 * exactly one channel; `apns-unique-id` kept in broadcast and sandbox `/3/device` verdicts.
 */
import {
  ApnsValidationError,
  BROADCAST_REASONS,
  BroadcastClient,
  type BroadcastReason,
  type BroadcastVerdict,
  ChannelClient,
  channelManagementUrl,
  Http2Pool,
  ProviderToken,
  type ProviderTokenSource,
  RouteClient,
} from '@pushfleet/apns';
import { loadSigningKey } from '@pushfleet/credentials';
import { createProviderKey, type Simulator, signProviderToken, startSimulator } from '@pushfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP = 'com.example.live';
const OFF = 'com.example.off';
const key = createProviderKey({ teamId: 'TEAMLIVE02' });
const prodKey = createProviderKey({ teamId: 'TEAMLIVE02' });

const fixed = (bearer: string): ProviderTokenSource => ({
  bearer: () => bearer,
  refreshAfterRejection: () => bearer,
});
function tokenAuth() {
  const token = new ProviderToken({
    key: loadSigningKey(key.privateKeyPem, 'test.p8'),
    keyId: key.keyId,
    teamId: key.teamId,
  });
  return { kind: 'token', token } as const;
}

let sim: Simulator;
let channels: ChannelClient;
let broadcasts: BroadcastClient;
let manage: RouteClient;
let push: RouteClient;

beforeAll(async () => {
  sim = await startSimulator({
    certificatePort: null,
    keys: [key, { ...prodKey, environment: 'production' }],
    topics: [APP, OFF],
    broadcast: { channelLimit: 3, capabilityOff: [OFF] },
  });
  channels = new ChannelClient({ url: sim.managementUrl!, ca: sim.ca, auth: tokenAuth() });
  broadcasts = new BroadcastClient({ url: sim.url, ca: sim.ca, auth: tokenAuth() });
  manage = new RouteClient({ url: sim.managementUrl!, ca: sim.ca, auth: tokenAuth() });
  push = new RouteClient({ url: sim.url, ca: sim.ca, auth: tokenAuth() });
});
afterAll(async () => {
  await Promise.all([channels.close(), broadcasts.close(), manage.close(), push.close()]);
  await sim.close();
});

const created = async (storagePolicy: 0 | 1) => {
  const v = await channels.create(APP, { storagePolicy });
  expect(v.outcome).toBe('ok');
  return v.channelId!;
};
const raw = async (
  client: RouteClient,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers: [string, string][] = [],
  body?: string,
) => (await client.send({ method, path, headers, body })).verdict;
const broadcastRaw = (headers: [string, string][], body = '{"aps":{"event":"update"}}') =>
  raw(push, 'POST', `/4/broadcasts/apps/${APP}`, headers, body);
const good = (channelId: string): [string, string][] => [
  ['apns-channel-id', channelId],
  ['apns-push-type', 'liveactivity'],
  ['apns-expiration', '0'],
  ['apns-priority', '10'],
];
const without = (headers: [string, string][], name: string) => headers.filter(([n]) => n !== name);
const withValue = (headers: [string, string][], name: string, value: string) =>
  headers.map(([n, v]): [string, string] => [n, n === name ? value : v]);
async function withToken(url: string, bearer: string, f: (c: RouteClient) => Promise<BroadcastVerdict>) {
  await using client = new RouteClient({ url, ca: sim.ca, auth: { kind: 'token', token: fixed(bearer) } });
  return await f(client);
}

describe('every reason of the broadcast error table, from a real request, classified by the client', () => {
  const produced = new Map<string, BroadcastVerdict>();
  const expectReason = (verdict: BroadcastVerdict, reason: BroadcastReason) => {
    const entry = BROADCAST_REASONS[reason];
    expect(verdict).toMatchObject({ status: entry.status, reason, action: entry.action });
    expect(verdict.requestId).toMatch(/^[0-9a-f-]{36}$/);
    produced.set(reason, verdict);
  };

  it('management: route, headers, auth, bundle, capability, create body, channel id, capacity', async () => {
    const mgmt = sim.managementUrl!;
    expectReason(await raw(manage, 'GET', '/1/apps/x/nothing'), 'BadPath');
    expectReason(await raw(manage, 'POST', `/1/apps/${APP}/all-channels`), 'MethodNotAllowed');
    expectReason(
      await raw(manage, 'GET', `/1/apps/${APP}/all-channels`, [
        ['x-twice', '1'],
        ['x-twice', '2'],
      ]),
      'DuplicateHeaders',
    );
    expectReason(
      await withToken(mgmt, '', (c) => raw(c, 'GET', `/1/apps/${APP}/all-channels`)),
      'MissingProviderToken',
    );
    expectReason(
      await withToken(mgmt, 'bearer a.b.c', (c) => raw(c, 'GET', `/1/apps/${APP}/all-channels`)),
      'InvalidProviderToken',
    );
    const old = signProviderToken(key, { issuedAt: Math.floor(Date.now() / 1000) - 7200 });
    expectReason(
      await withToken(mgmt, `bearer ${old}`, (c) => raw(c, 'GET', `/1/apps/${APP}/all-channels`)),
      'ExpiredProviderToken',
    );
    let n = 0;
    const churning: ProviderTokenSource = {
      bearer: () =>
        `bearer ${signProviderToken(key, { issuedAt: Math.floor(Date.now() / 1000) - 10 - n++ })}`,
      refreshAfterRejection: (b) => b,
    };
    {
      await using c = new RouteClient({ url: mgmt, ca: sim.ca, auth: { kind: 'token', token: churning } });
      expect((await raw(c, 'GET', `/1/apps/${APP}/all-channels`)).outcome).toBe('ok');
      expectReason(await raw(c, 'GET', `/1/apps/${APP}/all-channels`), 'TooManyProviderTokenUpdates');
    }
    expectReason(
      await raw(manage, 'GET', `/1/apps/${APP}.push-type.liveactivity/all-channels`),
      'TopicDisallowed',
    );
    {
      // A key registered for production only, used against this development simulator.
      const bearer = `bearer ${signProviderToken(prodKey)}`;
      await using c = new RouteClient({
        url: mgmt,
        ca: sim.ca,
        auth: { kind: 'token', token: fixed(bearer) },
      });
      expectReason(await raw(c, 'GET', `/1/apps/${APP}/all-channels`), 'BadEnvironmentKeyIdInToken');
    }
    expectReason(await channels.list('com.example.notmine'), 'TopicMismatch');
    expectReason(await channels.create(OFF, { storagePolicy: 1 }), 'FeatureNotEnabled');
    const create = (body: string) => raw(manage, 'POST', `/1/apps/${APP}/channels`, [], body);
    expectReason(await create('not json'), 'BadRequestPayload');
    expectReason(
      await create('{"message-storage-policy":1,"push-type":"LiveActivity","colour":"red"}'),
      'BadRequestParams',
    );
    expectReason(
      await create('{"message-storage-policy":"1","push-type":"LiveActivity"}'),
      'MissingChannelQueueSize',
    );
    expectReason(await create('{"message-storage-policy":1}'), 'MissingPushType');
    expectReason(await create('{"message-storage-policy":1,"push-type":"alert"}'), 'InvalidPushType');
    expectReason(await raw(manage, 'GET', `/1/apps/${APP}/channels`), 'MissingChannelId');
    expectReason(await channels.read(APP, 'not base64!'), 'BadChannelId');
    expectReason(await channels.delete(APP, 'dHN0LXNyY2gtY2hubA=='), 'ChannelNotRegistered');
    for (let i = 0; i < 3; i++) await created(0);
    expectReason(await channels.create(APP, { storagePolicy: 0 }), 'CannotCreateChannelConfig');
    sim.channels.clear();
  });

  it('broadcast: channel id, push type, expiration, priority, apns-id, policy, body', async () => {
    const id = await created(0);
    const ok = good(id);
    expectReason(await broadcastRaw(without(ok, 'apns-push-type')), 'MissingPushType');
    expectReason(await broadcastRaw(withValue(ok, 'apns-priority', '7')), 'BadPriority');
    expectReason(await broadcastRaw([...ok, ['apns-id', 'not-a-uuid']]), 'BadMessageId');
    expectReason(await broadcastRaw(ok, ''), 'PayloadEmpty');
    expectReason(await broadcastRaw(ok, `{"aps":{"x":"${'a'.repeat(5110)}"}}`), 'PayloadTooLarge');
    expectReason(
      await broadcasts.send({
        bundleId: APP,
        channelId: id,
        expiration: 1_900_000_000,
        payload: '{"aps":{}}',
      }),
      'BadExpirationDate',
    );
    expectReason(
      await broadcasts.send({ bundleId: APP, channelId: '!!!!', payload: '{"aps":{}}' }),
      'BadChannelId',
    );
    sim.channels.clear();
  });

  it('forced answers for what a well-formed request cannot cause: throttling, outages, certificates', async () => {
    const id = await created(0);
    const forced: BroadcastReason[] = [
      // Not in Apple's broadcast error table: a forced answer shows the client classifies them as on /3/device.
      'UnrelatedKeyIdInToken',
      'BadEnvironmentKeyInToken',
      'Forbidden',
      'IdleTimeout',
      'TooManyRequests',
      'InternalServerError',
      'Service Unavailable',
      'ServiceUnavailable',
      'Shutdown',
      'BadCertificate',
      'BadCertificateEnvironment',
    ];
    for (const reason of forced) {
      sim.broadcastRules.add({ operation: 'broadcast', reason, times: 1 });
      expectReason(await broadcasts.send({ bundleId: APP, channelId: id, payload: '{"aps":{}}' }), reason);
    }
    sim.channels.clear();
  });

  it('covered every reason of the table', () => {
    expect([...produced.keys()].sort()).toEqual(Object.keys(BROADCAST_REASONS).sort());
    expect(produced.get('ChannelNotRegistered')?.outcome).toBe('gone');
    expect(produced.get('CannotCreateChannelConfig')?.outcome).toBe('capacity');
    expect(produced.get('FeatureNotEnabled')?.outcome).toBe('capability');
  });
});

describe('ChannelClient', () => {
  it('creates, reads, lists and deletes, with apns-request-id sent and read back', async () => {
    const requestId = '5d7c1e0a-1111-4222-8333-444455556666';
    const v = await channels.create(APP, { storagePolicy: 1, requestId });
    expect(v).toMatchObject({ outcome: 'ok', status: 201, requestId });
    const id = v.channelId!;
    expect(await channels.read(APP, id)).toMatchObject({
      outcome: 'ok',
      config: { storagePolicy: 1, pushType: 'LiveActivity' },
    });
    expect((await channels.list(APP)).channels).toEqual([id]);
    expect(await channels.delete(APP, id)).toMatchObject({ outcome: 'ok', status: 204 });
    expect((await channels.list(APP)).channels).toEqual([]);
  });

  it('lists 10,000 channels in one answer, and refuses the next create with CannotCreateChannelConfig', async () => {
    await using full = await startSimulator({ certificatePort: null, keys: [key] });
    const made = new Set<string>();
    for (let i = 0; i < 10_000; i++) made.add(full.channels.create(APP, 0, 'LiveActivity', i)!.id);
    await using client = new ChannelClient({ url: full.managementUrl!, ca: full.ca, auth: tokenAuth() });
    const listed = await client.list(APP);
    expect(listed.outcome).toBe('ok');
    expect(new Set(listed.channels)).toEqual(made);
    expect(await client.create(APP, { storagePolicy: 1 })).toMatchObject({
      outcome: 'capacity',
      reason: 'CannotCreateChannelConfig',
    });
  });

  it('takes token auth; a certificate only with allowCertificate', () => {
    const certificate = { kind: 'certificate', cert: 'PEM', key: 'PEM' } as const;
    expect(() => new ChannelClient({ url: sim.managementUrl!, auth: certificate })).toThrow(
      /take token auth; pass allowCertificate/,
    );
  });

  it("knows Apple's management hosts: sandbox on 2195, production on 2196", () => {
    expect(channelManagementUrl('sandbox')).toBe('https://api-manage-broadcast.sandbox.push.apple.com:2195');
    expect(channelManagementUrl('production')).toBe('https://api-manage-broadcast.push.apple.com:2196');
  });

  it('refuses a bundle id with a push-type suffix and a storage policy other than 0 or 1, naming the field', async () => {
    await expect(channels.create(`${APP}.push-type.liveactivity`, { storagePolicy: 1 })).rejects.toThrow(
      /^bundleId: must be the bare bundle id/,
    );
    await expect(channels.create(APP, { storagePolicy: 2 as 1 })).rejects.toThrow(ApnsValidationError);
  });

  it('a create answered only after the client timed out is reconciled by listing: exactly one channel, never a second create', async () => {
    await using slow = await startSimulator({
      certificatePort: null,
      keys: [key],
      // The channel is made at once; its answer comes 2 s after the client gave up (connect and list fit in 2 s).
      broadcast: { createAnswerDelayMs: 4000 },
    });
    await using client = new ChannelClient({
      url: slow.managementUrl!,
      ca: slow.ca,
      auth: tokenAuth(),
      requestTimeoutMs: 2000,
    });
    const v = await client.create(APP, { storagePolicy: 0 });
    expect(v).toMatchObject({ outcome: 'ok', reconciled: true });
    expect(slow.channels.list(APP)).toEqual([v.channelId]);
    expect((await client.list(APP)).channels).toEqual([v.channelId]);
  });
});

describe('BroadcastClient', () => {
  it('sends the headers Apple lists and keeps apns-request-id and apns-unique-id in the verdict', async () => {
    const id = await created(1);
    sim.broadcasts.clear();
    const requestId = '0f0e0d0c-1111-4222-8333-444455556666';
    const payload = '{"aps":{"event":"update","timestamp":1,"content-state":{"score":"1-0"}}}';
    const v = await broadcasts.send({ bundleId: APP, channelId: id, priority: 5, payload, requestId });
    expect(v).toMatchObject({ outcome: 'ok', status: 200, requestId });
    const [record] = await sim.broadcasts.waitFor(1);
    expect(record?.uniqueId).toBe(v.uniqueId);
    expect(record?.headers).toEqual({
      'apns-request-id': requestId,
      'apns-channel-id': id,
      'apns-push-type': 'liveactivity',
      'apns-expiration': '0',
      'apns-priority': '5',
    });
    sim.channels.clear();
  });

  it('refuses 5,121 bytes before sending and sends 5,120', async () => {
    const id = await created(0);
    const fill = (n: number) => `{"aps":{"x":"${'a'.repeat(n - 16)}"}}`;
    expect((await broadcasts.send({ bundleId: APP, channelId: id, payload: fill(5120) })).outcome).toBe('ok');
    await expect(broadcasts.send({ bundleId: APP, channelId: id, payload: fill(5121) })).rejects.toThrow(
      /^payload: is 5121 bytes, over the broadcast limit of 5120/,
    );
    sim.channels.clear();
  });
});

describe('apns-unique-id on /3/device', () => {
  it('is kept in a sandbox verdict, absent in production', async () => {
    const token = 'ab'.repeat(32);
    const request = { token, topic: APP, pushType: 'alert', payload: '{"aps":{"alert":"hi"}}' } as const;
    {
      await using pool = new Http2Pool({ url: sim.url, ca: sim.ca, auth: tokenAuth() });
      expect((await pool.send(request)).uniqueId).toMatch(/^[0-9a-f-]{36}$/);
    }
    await using prod = await startSimulator({
      certificatePort: null,
      managementPort: null,
      keys: [key],
      environment: 'production',
    });
    await using pool = new Http2Pool({ url: prod.url, ca: prod.ca, auth: tokenAuth() });
    const v = await pool.send(request);
    expect(v.outcome).toBe('delivered');
    expect(v.uniqueId).toBeUndefined();
  });
});
