/**
 * Connection behaviour (docs/protocol/http2-provider-api.md, "Connection behaviour"): SETTINGS, GOAWAY, idle,
 * recorder waits, and a curl client.
 */
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createProviderKey } from '../certs/provider-key.js';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { TLS } from './__fixtures__/shared-tls.js';
import { closeSession, connectTo, send, TOKEN } from './__fixtures__/test-client.js';
import { type Simulator, startSimulator } from './start-simulator.js';

const APP = 'com.example.app';
const key = createProviderKey();
const jwt = signProviderToken(key);
const HEADERS = { authorization: `bearer ${jwt}`, 'apns-topic': APP, 'apns-push-type': 'alert' };
const sessions: ClientHttp2Session[] = [];
const sims: Simulator[] = [];

async function simulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const sim = await startSimulator({ tls: TLS, certificatePort: null, keys: [key], ...options });
  sims.push(sim);
  return sim;
}
async function connection(sim: Simulator): Promise<ClientHttp2Session> {
  const s = await connectTo(sim.url, { ca: sim.ca });
  sessions.push(s);
  return s;
}
const nextSettings = (s: ClientHttp2Session) => once(s, 'remoteSettings').then(([settings]) => settings);

afterEach(async () => {
  await Promise.all(sessions.splice(0).map(closeSession));
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

describe('SETTINGS_MAX_CONCURRENT_STREAMS', () => {
  it('is 1 on a token connection until the first valid JWT, then 1000', async () => {
    const sim = await simulator();
    const s = await connection(sim);
    expect(s.remoteSettings.maxConcurrentStreams).toBe(1);
    expect((await send(s, { headers: { ...HEADERS, authorization: 'bearer x.y.z' } })).status).toBe(403);
    expect((await send(s, { headers: { ...HEADERS, authorization: undefined } })).status).toBe(403);
    expect(s.remoteSettings.maxConcurrentStreams).toBe(1);
    const raised = nextSettings(s);
    expect((await send(s, { headers: HEADERS })).status).toBe(200);
    expect((await raised).maxConcurrentStreams).toBe(1000);
  });

  it('a valid JWT raises the limit even when the request fails later checks', async () => {
    const sim = await simulator({ maxConcurrentStreams: 500 });
    const s = await connection(sim);
    const raised = nextSettings(s);
    expect((await send(s, { headers: HEADERS, body: '' })).reason).toBe('PayloadEmpty');
    expect((await raised).maxConcurrentStreams).toBe(500);
  });

  it('dropStreamsAfterRejection: 1 after a rejection, back after an acceptance', async () => {
    const sim = await simulator({ dropStreamsAfterRejection: true });
    const s = await connection(sim);
    let settings = nextSettings(s);
    await send(s, { headers: HEADERS });
    expect((await settings).maxConcurrentStreams).toBe(1000);
    settings = nextSettings(s);
    expect((await send(s, { headers: HEADERS, body: '' })).status).toBe(400);
    expect((await settings).maxConcurrentStreams).toBe(1);
    settings = nextSettings(s);
    expect((await send(s, { headers: HEADERS })).status).toBe(200);
    expect((await settings).maxConcurrentStreams).toBe(1000);
  });

  it('serves many concurrent streams on one authenticated connection', async () => {
    const sim = await simulator();
    const s = await connection(sim);
    await send(s, { headers: HEADERS });
    const answers = await Promise.all(Array.from({ length: 300 }, () => send(s, { headers: HEADERS })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.headers['apns-id'])).size).toBe(300);
  });
});

describe('GOAWAY', () => {
  it('close() sends GOAWAY NO_ERROR with {"reason":"Shutdown"} and lets in-flight streams finish', async () => {
    const sim = await simulator();
    const s = await connection(sim);
    await send(s, { headers: HEADERS });
    const goaway = once(s, 'goaway');
    // A stream the server has seen (HEADERS sent, body still coming) is at or below GOAWAY's last-stream-id.
    const stream = s.request({ ':method': 'POST', ':path': `/3/device/${TOKEN}`, ...HEADERS });
    const status = once(stream, 'response').then(([h]) => h[':status']);
    stream.write('{"aps":');
    await new Promise((r) => setTimeout(r, 50));
    const closed = sim.close();
    const [code, lastStreamId, data] = (await goaway) as [number, number, Buffer];
    expect(code).toBe(0);
    expect(lastStreamId).toBe(stream.id);
    expect(JSON.parse(data.toString())).toEqual({ reason: 'Shutdown' });
    stream.end('{}}');
    stream.resume();
    expect(await status).toBe(200);
    await closed;
    expect(await sim.close()).toBeUndefined(); // idempotent
  });

  it('close() ends within closeTimeoutMs even when a client never reads its answers', async () => {
    const sim = await simulator({ closeTimeoutMs: 300 });
    const s = await connection(sim);
    await send(s, { headers: HEADERS });
    const unread = s.request({ ':method': 'POST', ':path': `/3/device/${TOKEN}`, ...HEADERS });
    unread.end(''); // answered 400 with a body nobody reads
    await once(unread, 'response');
    s.close();
    const started = Date.now();
    await sim.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await vi.waitFor(() => expect(sim.connectionCount).toBe(0));
  });

  it('goAway(reason) ends current connections and keeps listening', async () => {
    const sim = await simulator();
    const s = await connection(sim);
    await send(s, { headers: HEADERS });
    const goaway = once(s, 'goaway');
    sim.goAway('InternalServerError');
    const [, , data] = (await goaway) as [number, number, Buffer];
    expect(JSON.parse(data.toString())).toEqual({ reason: 'InternalServerError' });
    const again = await connection(sim);
    expect((await send(again, { headers: HEADERS })).status).toBe(200);
  });

  it('idleTimeoutMs sends {"reason":"IdleTimeout"} after the idle time [Ours]', async () => {
    const sim = await simulator({ idleTimeoutMs: 150 });
    const s = await connection(sim);
    const goaway = once(s, 'goaway');
    await send(s, { headers: HEADERS });
    const started = Date.now();
    const [, , data] = (await goaway) as [number, number, Buffer];
    expect(JSON.parse(data.toString())).toEqual({ reason: 'IdleTimeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await once(s, 'close');
    await vi.waitFor(() => expect(sim.connectionCount).toBe(0));
  });

  it('answers PING', async () => {
    const sim = await simulator();
    const s = await connection(sim);
    const rtt = await new Promise<number>((resolve, reject) =>
      s.ping((err, duration) => (err ? reject(err) : resolve(duration))),
    );
    expect(rtt).toBeGreaterThanOrEqual(0);
  });
});

describe('recorder', () => {
  it('waitFor(n) resolves once n notifications arrived, and times out otherwise', async () => {
    const sim = await simulator();
    const s = await connection(sim);
    const waiting = sim.recorder.waitFor(3, { timeoutMs: 5000 });
    await send(s, { headers: HEADERS });
    await Promise.all([send(s, { headers: HEADERS }), send(s, { headers: HEADERS, body: '' })]);
    await send(s, { headers: HEADERS, token: 'cd'.repeat(32) });
    const records = await waiting;
    expect(records).toHaveLength(3);
    expect(records.map((r) => r.connectionId)).toEqual([1, 1, 1]);
    await expect(sim.recorder.waitFor(4, { timeoutMs: 50 })).rejects.toThrow(/only 3 accepted after 50 ms/);
    sim.recorder.clear();
    expect(sim.recorder.accepted).toHaveLength(0);
    expect(sim.recorder.counters.accepted).toBe(0);
  });

  it("record: 'counters' keeps counts only", async () => {
    const sim = await simulator({ record: 'counters' });
    const s = await connection(sim);
    await send(s, { headers: HEADERS });
    await send(s, { headers: HEADERS, token: 'zz' });
    await sim.recorder.waitFor(1);
    expect(sim.recorder.accepted).toHaveLength(0);
    expect(sim.recorder.counters).toMatchObject({
      accepted: 1,
      rejected: 1,
      byReason: { BadDeviceToken: 1 },
    });
  });
});

describe('lifecycle', () => {
  it('generates its own CA and server certificate, and is AsyncDisposable', async () => {
    const sim = await startSimulator({ keys: [key] });
    expect(sim.credentials.generated).toBe(true);
    expect(sim.ca).toBe(sim.credentials.ca?.certPem);
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.certificateUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.certificatePort).not.toBe(sim.port);
    const s = await connectTo(sim.url, { ca: sim.ca });
    expect((await send(s, { headers: HEADERS })).status).toBe(200);
    await closeSession(s);
    await sim[Symbol.asyncDispose]();
    await expect(connectTo(sim.url, { ca: sim.ca })).rejects.toThrow();
  });

  it('refuses a key that is not EC P-256, naming it', async () => {
    await expect(
      startSimulator({ tls: TLS, keys: [{ keyId: 'BADKEY0001', teamId: 'T', publicKeyPem: TLS.cert }] }),
    ).rejects.toThrow(/BADKEY0001/);
  });
});

const hasCurlHttp2 = (() => {
  const r = spawnSync('curl', ['--version']);
  return r.status === 0 && /HTTP2/.test(r.stdout.toString());
})();

describe('curl', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-curl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!hasCurlHttp2)('curl --http2 with the APNs headers gets 200', async () => {
    const sim = await simulator();
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, sim.ca);
    const apnsId = '123e4567-e89b-12d3-a456-426614174000';
    const { stdout } = await promisify(execFile)('curl', [
      '--silent',
      '--show-error',
      '--http2',
      '--cacert',
      caFile,
      '--header',
      `authorization: bearer ${jwt}`,
      '--header',
      `apns-topic: ${APP}`,
      '--header',
      'apns-push-type: alert',
      '--header',
      `apns-id: ${apnsId}`,
      '--data',
      '{"aps":{"alert":"from curl"}}',
      '--write-out',
      '%{http_code} %{http_version}',
      `${sim.url}/3/device/${TOKEN}`,
    ]);
    expect(stdout).toBe('200 2');
    const [record] = await sim.recorder.waitFor(1);
    expect(record).toMatchObject({ apnsId, payload: '{"aps":{"alert":"from curl"}}', topic: APP });
  });
});
