/**
 * No secret reaches a log line. A demo-like flow with real credentials: a worker process and the API
 * process, configured by a fleet config with a token app (a real .p8) and a certificate app (a real .p12 and
 * its passphrase, from the environment), deliver to the simulator over TLS, hit dead tokens, live through a
 * Redis restart, and a second worker is started with a wrong passphrase. Then every line every process
 * wrote is read: each worker line is JSON with a time, a level and a message, and none holds the
 * passphrase, a line of either private key, a provider token (JWT) or a device token.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateApiKey, loadFleetConfig } from '@pushfleet/config';
import { createProducer, outcomeCounts, routesFor, waitForNotifications } from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { startSimulator, writeTestCredentials } from '@pushfleet/simulator';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

const main = (app: string) => fileURLToPath(new URL(`../../../apps/${app}/dist/main.js`, import.meta.url));
const PASSPHRASE = 'Tr0ub4dor-and-3-horse-staples';
const TOKEN_TOPIC = 'com.example.logs.tokens';
const CERT_TOPIC = 'com.example.logs';
const tokenOf = (i: number) => `${i.toString(16).padStart(8, '0')}${'5e'.repeat(28)}`;

interface Child {
  readonly child: ChildProcess;
  output(): string;
  readonly ready: Promise<unknown>;
  readonly exited: Promise<number | null>;
}

function start(app: 'worker' | 'api', env: Record<string, string>): Child {
  let out = '';
  const child = fork(main(app), [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve(m));
    exited.then((code) => reject(new Error(`${app} exited ${code}:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => out, ready, exited };
}

async function stop(c: Child): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  await c.exited;
}

describe('logs under real credentials', () => {
  it('carry no passphrase, private key, provider token or device token, from any process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushfleet-logs-'));
    const creds = await writeTestCredentials(join(dir, 'creds'), {
      bundleId: CERT_TOPIC,
      passphrase: PASSPHRASE,
    });
    const m = creds.manifest;
    const at = (p: string) => join(creds.dir, p);
    const p8 = readFileSync(at(m.providerKey.file), 'utf8');
    const clientKey = readFileSync(at(m.client.key), 'utf8');
    const { createPublicKey } = await import('node:crypto');
    await using sim = await startSimulator({
      tls: {
        cert: readFileSync(at(m.server.cert), 'utf8'),
        key: readFileSync(at(m.server.key), 'utf8'),
        ca: readFileSync(at(m.ca.cert), 'utf8'),
      },
      keys: [
        {
          keyId: m.providerKey.keyId,
          teamId: m.providerKey.teamId,
          publicKeyPem: createPublicKey(p8).export({ type: 'spki', format: 'pem' }).toString(),
        },
      ],
      topics: [TOKEN_TOPIC, CERT_TOPIC],
    });
    const configFile = join(dir, 'fleet.json');
    const config = (passphraseEnv: string) => ({
      apps: [
        {
          name: 'tokens',
          topics: [TOKEN_TOPIC],
          environment: sim.url,
          caFile: at(m.ca.cert),
          credentials: {
            type: 'token',
            key: at(m.providerKey.file),
            keyId: m.providerKey.keyId,
            teamId: m.providerKey.teamId,
          },
        },
        {
          name: 'certs',
          topics: [CERT_TOPIC],
          environment: sim.certificateUrl,
          caFile: at(m.ca.cert),
          credentials: { type: 'certificate', certificate: at(m.client.p12), passphraseEnv },
        },
      ],
    });
    writeFileSync(configFile, JSON.stringify(config('CERTS_P12_PASSPHRASE')));
    const wrongFile = join(dir, 'wrong.json');
    writeFileSync(wrongFile, JSON.stringify(config('WRONG_PASSPHRASE')));

    const redisDir = join(dir, 'redis');
    let redis = await startRedisServer({ dir: redisDir, persist: true });
    const apps = loadFleetConfig(configFile).apps.map((a) => a.name);
    const apiKey = generateApiKey(); // the API needs one; it is a secret too
    const env = {
      PUSHFLEET_API_KEYS: `logs:${apiKey.sha256}:${apps.join(',')}`,
      REDIS_URL: redis.url,
      PUSHFLEET_CONFIG: configFile,
      CERTS_P12_PASSPHRASE: PASSPHRASE,
      PUSHFLEET_LOG_LEVEL: 'debug',
      PUSHFLEET_METRICS_PORT: '0',
      PUSHFLEET_API_PORT: '0',
    };
    const processes: Child[] = [];
    const producer = createProducer({
      redis: redis.url,
      routes: routesFor(loadFleetConfig(configFile).apps),
    });
    try {
      const worker = start('worker', env);
      const api = start('api', env);
      processes.push(worker, api);
      await Promise.all([worker.ready, api.ready]);

      for (let i = 0; i < 5; i++) sim.devices.markDead(tokenOf(i));
      const notifications = [TOKEN_TOPIC, CERT_TOPIC].flatMap((topic) =>
        Array.from({ length: 40 }, (_, i) => ({
          token: tokenOf(i),
          topic,
          payload: { aps: { alert: `${i}` } },
        })),
      );
      const counters = new Redis(redis.url);
      const baseline = Object.fromEntries(
        await Promise.all(apps.map(async (a) => [a, await outcomeCounts(counters, a)])),
      );
      await producer.sendMany(notifications);
      const done = await waitForNotifications(counters, {
        baseline,
        expected: Object.fromEntries(apps.map((a) => [a, 40])),
        timeoutMs: 20_000,
      });
      expect(done.ended).toBe(80);
      expect(done.byOutcome).toMatchObject({ delivered: 70, 'token-invalid': 10 });
      // One more to a token now recorded dead: suppressed, so its job (of one) fails, logged with its ids.
      const again = { tokens: await outcomeCounts(counters, 'tokens') };
      await producer.send({ token: tokenOf(0), topic: TOKEN_TOPIC, payload: { aps: { alert: 'again' } } });
      const one = await waitForNotifications(counters, {
        baseline: again,
        expected: { tokens: 1 },
        timeoutMs: 20_000,
      });
      expect(one.byOutcome).toMatchObject({ suppressed: 1 });
      counters.disconnect();
      await producer.close();

      // Redis goes away and comes back: the worker logs the outage, with its errors, once.
      const port = redis.port;
      await redis.close();
      await new Promise((r) => setTimeout(r, 1_500));
      redis = await startRedisServer({ dir: redisDir, persist: true, port });
      await new Promise((r) => setTimeout(r, 1_500));

      // A worker given the wrong passphrase refuses to start, saying why.
      const wrong = start('worker', {
        ...env,
        PUSHFLEET_CONFIG: wrongFile,
        WRONG_PASSPHRASE: `not-${PASSPHRASE}`,
      });
      processes.push(wrong);
      expect(await wrong.exited).toBe(1);
      expect(wrong.output()).toMatch(/wrong passphrase/);
    } finally {
      await producer.close();
      for (const p of processes) await stop(p);
      await redis.close();
    }

    const [worker, api, wrong] = processes.map((p) => p.output());
    const lines = [worker, api, wrong].flatMap((o) => o!.split('\n').filter(Boolean));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of [...worker!.split('\n'), ...wrong!.split('\n')].filter(Boolean)) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({
        level: expect.any(String),
        time: expect.any(String),
        msg: expect.any(String),
      });
    }
    expect(worker).toContain('"msg":"redis is back"');
    expect(worker).toMatch(/"app":"(tokens|certs)","job":"[^"]+","reason":"Unregistered","msg":"job failed"/);

    const keyLines = [p8, clientKey].flatMap((pem) =>
      pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')),
    );
    const secrets = [
      PASSPHRASE,
      apiKey.key,
      ...keyLines,
      ...Array.from({ length: 40 }, (_, i) => tokenOf(i)),
    ];
    for (const line of lines) {
      for (const s of secrets) expect(line.includes(s), `a log line holds a secret: ${line}`).toBe(false);
      expect(line, 'a log line holds a JWT').not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/);
    }
  }, 60_000);
});
