/**
 * Many apps in one fleet, from one config file: a token-auth app and a certificate-auth app (.p12 with a
 * pass phrase from the environment) in one worker, each reaching the simulator with its own identity;
 * routing by topic at enqueue; credential gauges on /metrics; broken configurations refused at start-up.
 */

import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetConfig } from '@pushfleet/config';
import { createProducer, type Producer, routesFor, waitForJobs } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import {
  createApnsClientCertificate,
  createProviderKey,
  type Simulator,
  startSimulator,
} from '@pushfleet/simulator';
import { type FleetWorker, loadWorkerConfig, startFleetWorker } from '@pushfleet/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'pushfleet-multi-'));
const key = createProviderKey();
let redis: RedisServer;
let sim: Simulator;
let worker: FleetWorker;
let producer: Producer;
let newsCert: ReturnType<typeof createApnsClientCertificate>;
let fleetFile: string;
const env: Record<string, string> = {};

function writeConfig(name: string, apps: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ apps }, null, 2));
  return file;
}

beforeAll(async () => {
  redis = await startRedisServer();
  sim = await startSimulator({
    keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
    topics: ['com.example.shop'],
  });
  newsCert = createApnsClientCertificate(sim.credentials.ca!, {
    bundleId: 'com.example.news',
    teamId: 'NEWSTEAM01',
    environments: ['development'],
    passphrase: 'correct horse',
  });
  writeFileSync(join(dir, 'ca.pem'), sim.ca);
  writeFileSync(join(dir, 'AuthKey.p8'), key.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'news.p12'), newsCert.p12, { mode: 0o600 });
  Object.assign(env, { REDIS_URL: redis.url, NEWS_P12_PASS: 'correct horse', PUSHFLEET_METRICS_PORT: '0' });
  const file = writeConfig('fleet.json', [
    {
      name: 'shop',
      topics: ['com.example.shop'],
      environment: sim.url,
      caFile: 'ca.pem',
      credentials: { type: 'token', key: 'AuthKey.p8', keyId: key.keyId, teamId: key.teamId },
    },
    {
      name: 'news',
      topics: ['com.example.news'],
      environment: sim.certificateUrl,
      caFile: 'ca.pem',
      credentials: { type: 'certificate', certificate: 'news.p12', passphraseEnv: 'NEWS_P12_PASS' },
    },
  ]);
  fleetFile = file;
  worker = await startFleetWorker(loadWorkerConfig({ ...env, PUSHFLEET_CONFIG: file }), {
    processMetrics: false,
  });
  producer = createProducer({ redis: redis.url, routes: routesFor(loadFleetConfig(file).apps) });
});

afterAll(async () => {
  await producer?.close();
  await worker?.close();
  await sim?.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two apps, two identities, one worker', () => {
  it('routes each notification by topic and sends it with its own app credentials', async () => {
    const t = 'ab'.repeat(32);
    const { ids } = await producer.sendMany([
      { token: t, topic: 'com.example.shop', payload: { aps: { alert: 'shop' } } },
      { token: t, topic: 'com.example.news', payload: { aps: { alert: 'news' } } },
    ]);
    const [shopDone, newsDone] = await Promise.all([
      waitForJobs(producer.queueFor('shop'), [ids[0]!], { timeoutMs: 8000 }),
      waitForJobs(producer.queueFor('news'), [ids[1]!], { timeoutMs: 8000 }),
    ]);
    expect([shopDone.completed, newsDone.completed]).toEqual([1, 1]);
    const byId = new Map(sim.recorder.accepted.map((r) => [r.apnsId, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ topic: 'com.example.shop', auth: 'token', teamId: key.teamId });
    expect(byId.get(ids[1]!)).toMatchObject({
      topic: 'com.example.news',
      auth: 'certificate',
      teamId: 'NEWSTEAM01',
    });
  });

  it('refuses a topic no app owns at enqueue', async () => {
    await expect(
      producer.send({ token: 'cd'.repeat(32), topic: 'com.example.other', payload: { aps: {} } }),
    ).rejects.toThrow('topic: "com.example.other" belongs to no configured app');
  });

  it('exports the certificate expiry and provider token age per app', async () => {
    const text = await (await fetch(worker.metricsUrl)).text();
    const notAfter = Math.floor(new Date(new X509Certificate(newsCert.certPem).validTo).getTime() / 1000);
    expect(text).toContain(`pushfleet_certificate_expiry_timestamp_seconds{app="news"} ${notAfter}`);
    const age = Number(/pushfleet_provider_token_age_seconds\{app="shop"\} ([\d.e+-]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    // The one worker signed the shop app's token once, and no refresh failed.
    expect(text).toMatch(/pushfleet_provider_token_refreshes_total\{app="shop",result="minted"\} 1\n/);
    expect(text).not.toMatch(/pushfleet_provider_token_refreshes_total\{[^}]*result="failed"/);
  });
});

describe('the worker process settings', () => {
  it('PUSHFLEET_MAX_IN_FLIGHT: unset (the capacity alone), a value, and a bad one refused by name', () => {
    const load = (value?: string) =>
      loadWorkerConfig({
        ...env,
        PUSHFLEET_CONFIG: fleetFile,
        ...(value === undefined ? {} : { PUSHFLEET_MAX_IN_FLIGHT: value }),
      }).maxInFlight;
    expect(load()).toBeUndefined();
    expect(load(' ')).toBeUndefined();
    expect(load('300')).toBe(300);
    for (const bad of ['0', '2.5', 'many'])
      expect(() => load(bad)).toThrow(
        `PUSHFLEET_MAX_IN_FLIGHT: must be an integer from 1 to 1000000; got "${bad}"`,
      );
  });
});

describe('a broken app configuration stops the worker at start-up with the app and the problem', () => {
  const base = (credentials: unknown, environment = 'https://127.0.0.1:1') => [
    { name: 'bad', topics: ['com.example.news'], environment, caFile: 'ca.pem', credentials },
  ];
  it.each([
    [
      'wrong pass phrase',
      { type: 'certificate', certificate: 'news.p12', passphraseEnv: 'WRONG_PASS' },
      /news\.p12: wrong passphrase for the \.p12/,
    ],
    [
      'pass phrase variable unset',
      { type: 'certificate', certificate: 'news.p12', passphraseEnv: 'UNSET_PASS' },
      /^bad: environment variable UNSET_PASS \(the pass phrase\) is not set/,
    ],
    [
      'missing key file',
      { type: 'token', key: 'nope.p8', keyId: key.keyId, teamId: key.teamId },
      /^bad: cannot read the \.p8 key .*nope\.p8 \(ENOENT\)/,
    ],
    [
      'a certificate where a .p8 belongs',
      { type: 'token', key: 'ca.pem', keyId: key.keyId, teamId: key.teamId },
      /ca\.pem/,
    ],
  ])('%s', (_name, credentials, message) => {
    const file = writeConfig(`bad-${Math.random()}.json`, base(credentials));
    expect(() =>
      loadWorkerConfig({ REDIS_URL: redis.url, WRONG_PASS: 'nope', PUSHFLEET_CONFIG: file }),
    ).toThrow(message);
  });

  it('a development certificate pointed at production is refused before connecting', () => {
    const file = writeConfig('prod.json', [
      {
        name: 'prod',
        topics: ['com.example.news'],
        environment: 'production',
        credentials: { type: 'certificate', certificate: 'news.p12', passphraseEnv: 'P' },
      },
    ]);
    expect(() =>
      loadWorkerConfig({ REDIS_URL: redis.url, P: 'correct horse', PUSHFLEET_CONFIG: file }),
    ).toThrow(/news\.p12: .*production/);
  });

  it('a certificate that does not cover the app topic is refused', () => {
    const file = writeConfig('topic.json', [
      {
        name: 'topic',
        topics: ['com.example.shop'],
        environment: 'sandbox',
        credentials: { type: 'certificate', certificate: 'news.p12', passphraseEnv: 'P' },
      },
    ]);
    expect(() =>
      loadWorkerConfig({ REDIS_URL: redis.url, P: 'correct horse', PUSHFLEET_CONFIG: file }),
    ).toThrow(/com\.example\.shop/);
  });
});
