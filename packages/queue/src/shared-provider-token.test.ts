import { generateKeyPairSync } from 'node:crypto';
import { loadSigningKey } from '@pushfleet/credentials';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueKeys } from './queue-keys.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { SharedProviderToken, startSharedProviderToken } from './shared-provider-token.js';

const MINUTE = 60_000;
let server: RedisServer;
const clients: Redis[] = [];
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.close();
});

function redis(): Redis {
  const c = new Redis(server.url);
  clients.push(c);
  return c;
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return loadSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }), 'test.p8');
}

let team = 0;
function ids() {
  team++;
  return { teamId: `TEAM${String(team).padStart(6, '0')}`, keyId: 'KEY0000001' };
}

describe('SharedProviderToken', () => {
  it('two sources on one Redis mint exactly once and return the same bearer', async () => {
    const key = signingKey();
    const { teamId, keyId } = ids();
    const [a, b] = await Promise.all([
      startSharedProviderToken({ redis: redis(), key, keyId, teamId, pollIntervalMs: 0 }),
      startSharedProviderToken({ redis: redis(), key, keyId, teamId, pollIntervalMs: 0 }),
    ]);
    expect(a.mints + b.mints).toBe(1);
    expect(a.bearer()).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(b.bearer()).toBe(a.bearer());
    const stored = JSON.parse((await redis().get(queueKeys.providerToken(teamId, keyId)))!);
    expect(stored.bearer).toBe(a.bearer());
    await a.close();
    await b.close();
  });

  it('refreshes after 45 minutes, once for the fleet, and never within 20 minutes of the last mint', async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const key = signingKey();
    const { teamId, keyId } = ids();
    const opts = { key, keyId, teamId, clock, pollIntervalMs: 0 };
    const fleet = await Promise.all(
      [0, 1, 2].map(() => startSharedProviderToken({ ...opts, redis: redis() })),
    );
    const mints = () => fleet.reduce((n, s) => n + s.mints, 0);
    const syncAll = () => Promise.all(fleet.map((s) => s.sync()));
    expect(mints()).toBe(1);
    const first = fleet[0]!.bearer();

    now += 44 * MINUTE;
    await syncAll();
    expect(mints()).toBe(1);
    expect(fleet.map((s) => s.bearer())).toEqual([first, first, first]);

    now += 1 * MINUTE;
    await syncAll();
    expect(mints()).toBe(2);
    const second = fleet[0]!.bearer();
    expect(second).not.toBe(first);
    expect(fleet.map((s) => s.bearer())).toEqual([second, second, second]);

    // 403 ExpiredProviderToken 10 minutes later: too soon to mint again (429 TooManyProviderTokenUpdates).
    now += 10 * MINUTE;
    expect(fleet[1]!.refreshAfterRejection(second)).toBe(second);
    await syncAll();
    expect(mints()).toBe(2);

    // Once 20 minutes have passed, the rejection is honoured, by one process.
    now += 10 * MINUTE;
    fleet[1]!.refreshAfterRejection(second);
    fleet[2]!.refreshAfterRejection(second);
    await syncAll();
    await syncAll();
    expect(mints()).toBe(3);
    const third = fleet[0]!.bearer();
    expect(third).not.toBe(second);
    expect(fleet.map((s) => s.bearer())).toEqual([third, third, third]);
    for (const s of fleet) await s.close();
  });

  it('reports each token it puts in use, minted or adopted, and each failed sync (the refresh metric)', async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const key = signingKey();
    const { teamId, keyId } = ids();
    const seen: Record<'a' | 'b', string[]> = { a: [], b: [] };
    const opts = { key, keyId, teamId, clock, pollIntervalMs: 0 };
    const a = await startSharedProviderToken({ ...opts, redis: redis(), onRefresh: (r) => seen.a.push(r) });
    const bRedis = redis();
    const b = await startSharedProviderToken({ ...opts, redis: bRedis, onRefresh: (r) => seen.b.push(r) });
    expect(seen).toEqual({ a: ['minted'], b: ['adopted'] });

    // Nothing new in Redis: a sync puts nothing in use, and reports nothing.
    await Promise.all([a.sync(), b.sync()]);
    expect(seen).toEqual({ a: ['minted'], b: ['adopted'] });

    // Due: b mints this time, a takes b's token.
    now += 45 * MINUTE;
    await b.sync();
    await a.sync();
    expect(seen).toEqual({ a: ['minted', 'adopted'], b: ['adopted', 'minted'] });
    expect(a.bearer()).toBe(b.bearer());

    // Redis gone: the sync fails, is reported, and the held token stays in use.
    const held = b.bearer();
    bRedis.disconnect();
    await expect(b.sync()).rejects.toThrow();
    expect(seen.b).toEqual(['adopted', 'minted', 'failed']);
    expect(b.bearer()).toBe(held);
    await a.close();
    await b.close();
  });

  it('refuses a bad team id at construction', () => {
    expect(
      () =>
        new SharedProviderToken({ redis: redis(), key: signingKey(), keyId: 'KEY0000001', teamId: 'bad' }),
    ).toThrow(/teamId/);
  });
});
