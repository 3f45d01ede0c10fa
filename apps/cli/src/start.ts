/**
 * `pushfleet start [--demo N]`: the whole fleet on one machine. A Redis on loopback (data under .data/,
 * unless REDIS_URL is set), the APNs simulator as the target (unless APNS_KEY_FILE configures Apple), one
 * worker process and the HTTP API, each in a process of its own. Ctrl-C stops everything. With --demo N it also enqueues N notifications
 * through the SDK (after a warm-up of 5,000 it does not count, when the target is the bundled simulator),
 * shows progress, prints `delivered N/N in X s (Y/s)` and exits (non-zero if any is missing).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  appNameFromEnv,
  fleetConfigFromEnv,
  generateApiKey,
  hashApiKey,
  redisUrlFromEnv,
} from '@pushfleet/config';
import {
  connectRedis,
  createProducer,
  getNotificationStatus,
  outcomeCounts,
  type Producer,
  routesFor,
  waitForNotifications,
} from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { pickPort, startChild } from './children.js';
import type { RunningFleet } from './cli-options.js';
import { DEFAULT_DATA_DIR, localApiKeyFile, runningFile, simulatorCaFile, simulatorDir } from './data-dir.js';
import { createProgressBar } from './progress.js';
import { ensureSimulatorCredentials } from './simulator-credentials.js';
import { type SupervisedProcess, supervise } from './supervisor.js';

export interface StartOptions {
  /** Enqueue this many demo notifications, wait for them, then exit. */
  demo?: number;
  /** Where Redis data, simulator credentials and logs live. @defaultValue `.data` */
  dataDir?: string;
  /** @defaultValue 8080, or a free port if taken */
  apiPort?: number;
  /** @defaultValue 9464, or a free port if taken */
  metricsPort?: number;
  /** Give up on the demo after this long. @defaultValue 2 minutes, plus 1 ms per notification */
  demoTimeoutMs?: number;
}

export const DEMO_TOPIC = 'com.example.pushfleet';

/** Where `pushfleet start`'s own Redis listens when the port is free (6379 is the system Redis's). */
export const DEFAULT_REDIS_PORT = 6380;

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The local API key: made once per data dir (mode 0600) and reused, so scripts keep working across restarts. */
function localApiKey(dataDir: string): { key: string; variable: string } {
  const file = localApiKeyFile(dataDir);
  let key = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!key) {
    key = generateApiKey().key;
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
  }
  return { key, variable: `local:${hashApiKey(key)}:*` };
}

export async function runStart(options: StartOptions): Promise<number> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  // One signal asks to stop; the ones after it are not obeyed. Ctrl-C under `npm start` arrives twice (from the
  // terminal, and forwarded by the wrapper), and the default action of the second killed this process before it
  // had stopped its children: Redis was left running. Caught from the start, so one during start-up waits for it.
  const stopSignal = new Promise<NodeJS.Signals>((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals) => resolveSignal(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const cleanups: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const fn of cleanups.reverse()) await fn().catch(() => {});
    })());

  try {
    // 1. Redis
    let redisUrl = redisUrlFromEnv(process.env);
    let redis: RedisServer | undefined;
    if (!redisUrl) {
      // A fixed port when free, so the README's SDK example works as written; else any free port (printed).
      const port = await pickPort(DEFAULT_REDIS_PORT);
      redis = await startRedisServer({ dir: join(dataDir, 'redis'), persist: true, port });
      cleanups.push(() => redis!.close());
      redisUrl = redis.url;
    }

    // 2. APNs target: Apple when credentials are configured, else the bundled simulator.
    const apnsEnv: Record<string, string> = {};
    const logDir = join(dataDir, 'logs');
    // Every child process, supervised below (restarted when it dies, unless it cannot be).
    const processes: SupervisedProcess[] = [];
    cleanups.push(async () => {
      // The simulator last: the workers drain against it.
      const last = (p: SupervisedProcess) => p.name === 'simulator';
      await Promise.all(processes.filter((p) => !last(p)).map((p) => p.current.stop()));
      await Promise.all(processes.filter(last).map((p) => p.current.stop()));
    });
    let sim: { url: string; managementUrl: string | undefined } | undefined;
    const configured = process.env.PUSHFLEET_CONFIG ?? process.env.APNS_KEY_FILE ?? process.env.APNS_P12_FILE;
    if (configured) {
      // Apple, or the endpoints of the fleet config: the children inherit APNS_* / PUSHFLEET_CONFIG. An app
      // naming `environment: "simulator"` trusts the CA of this data dir, wherever the worker runs.
      if (!process.env.PUSHFLEET_SIMULATOR_CA_FILE)
        apnsEnv.PUSHFLEET_SIMULATOR_CA_FILE = simulatorCaFile(dataDir);
    } else {
      const creds = await ensureSimulatorCredentials(simulatorDir(dataDir), DEMO_TOPIC);
      // In its own process (simulator-main.ts), counters only: in this one it slowed the demo's producer.
      const startSim = () =>
        startChild(
          'simulator',
          {
            PUSHFLEET_SIMULATOR_DIR: simulatorDir(dataDir),
            PUSHFLEET_SIMULATOR_TOPIC: DEMO_TOPIC,
            // The demo measures what bench:e2e does: APNs as production (no sandbox unique ids).
            ...(options.demo !== undefined ? { PUSHFLEET_SIMULATOR_ENVIRONMENT: 'production' } : {}),
          },
          logDir,
        );
      const child = await startSim();
      // Not restarted: a new one would listen on another port than the one the workers were given.
      processes.push({ name: 'simulator', start: startSim, current: child, restartable: false });
      const managementUrl = child.ready.managementUrl;
      sim = {
        url: String(child.ready.url),
        managementUrl: typeof managementUrl === 'string' ? managementUrl : undefined,
      };
      Object.assign(apnsEnv, {
        APNS_URL: sim.url,
        // Channel operations (pushfleet channels, /v1/channels) go to the simulator's management port.
        ...(sim.managementUrl ? { PUSHFLEET_CHANNEL_MANAGEMENT_URL: sim.managementUrl } : {}),
        APNS_CA_FILE: creds.caFile,
        APNS_KEY_FILE: creds.keyFile,
        APNS_KEY_ID: creds.keyId,
        APNS_TEAM_ID: creds.teamId,
      });
    }

    // 3. Worker and API processes, restarted when they die.
    const metricsPort = await pickPort(options.metricsPort ?? 9464);
    // The one URL (a cluster's too) replaces REDIS_CLUSTER_NODES in the children: they read one of the two.
    const redisEnv = { REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: '' };
    const workerEnv = { ...apnsEnv, ...redisEnv, PUSHFLEET_METRICS_PORT: String(metricsPort) };
    const startWorker = () => startChild('worker', workerEnv, logDir);
    processes.push({ name: 'worker', start: startWorker, current: await startWorker() });
    const apiPort = await pickPort(options.apiPort ?? 8080);
    const apiKey = localApiKey(dataDir);
    const apiEnv = {
      ...redisEnv,
      PUSHFLEET_API_PORT: String(apiPort),
      PUSHFLEET_API_KEYS: [process.env.PUSHFLEET_API_KEYS, apiKey.variable].filter(Boolean).join(';'),
    };
    const startApi = () => startChild('api', apiEnv, logDir);
    processes.push({ name: 'api', start: startApi, current: await startApi() });
    const worker = processes.find((p) => p.name === 'worker')!;
    const api = processes.find((p) => p.name === 'api')!;
    const apiUrl = String(api.current.ready.url);

    // Where the other commands (send, status, board...) run beside this one find the fleet.
    const running: RunningFleet & { apiKeys: string } = { redisUrl, apiUrl, apiKeys: apiKey.variable };
    writeFileSync(runningFile(dataDir), `${JSON.stringify(running, null, 2)}\n`);
    cleanups.push(async () => rmSync(runningFile(dataDir), { force: true }));

    say('pushfleet is running');
    say(`  API        ${apiUrl}  (POST /v1/notifications, docs at ${apiUrl}/docs)`);
    say(`  API key    ${apiKey.key}  (every app; kept in ${localApiKeyFile(dataDir)})`);
    say(`  metrics    ${worker.current.ready.metricsUrl}`);
    if (sim)
      say(
        `  simulator  ${sim.url}  (APNs HTTP/2${options.demo !== undefined ? ' as production, for the demo' : ''}, trust ${simulatorCaFile(dataDir)})`,
      );
    if (sim?.managementUrl)
      say(`  channels   ${sim.managementUrl}  (the simulator's channel-management API)`);
    else if (process.env.PUSHFLEET_CONFIG) say(`  APNs       the apps of ${process.env.PUSHFLEET_CONFIG}`);
    else say(`  APNs       ${process.env.APNS_URL ?? `Apple (${process.env.APNS_ENV ?? 'sandbox'})`}`);
    say(`  redis      ${redisUrl}${redis ? `  (data in ${redis.dir})` : ''}`);
    say(`  logs       ${logDir}`);

    const supervisor = supervise(processes, { say });
    cleanups.push(async () => supervisor.stop());
    const gaveUp = supervisor.failed.then((reason) => {
      say(`pushfleet: ${reason}; stopping (see the logs in ${logDir})`);
      return 1;
    });
    if (options.demo !== undefined) {
      return await Promise.race([
        runDemo(
          redisUrl,
          demoTopic(),
          options.demo,
          options.demoTimeoutMs ?? 120_000 + options.demo,
          // Against Apple the rate compares with nothing, and a warm-up would only send more.
          sim !== undefined,
        ),
        gaveUp,
        stopSignal.then((signal) => {
          say(`demo interrupted (${signal}); stopping...`);
          return 1;
        }),
      ]);
    }
    say('Ctrl-C to stop.');
    const code = await Promise.race([stopSignal.then(() => 0), gaveUp]);
    supervisor.stop();
    say('stopping...');
    return code;
  } finally {
    await stopAll();
  }
}

/** Notifications per SDK call of the demo; every `DEMO_FAN_OUT_EVERY`th call is one payload to all its tokens. */
const DEMO_BATCH = 1000;
const DEMO_FAN_OUT_EVERY = 5;
/**
 * Sent to the bundled simulator before the demo's clock starts, and not counted: bench:e2e's warm-up (its raw
 * client's and its fleet's), so the demo's rate is the fleet's, not its first second of compiling and connecting.
 */
const DEMO_WARM_UP = 5000;

/** The demo sends to the simulator's topic, or to the first topic of the configured app. */
function demoTopic(): string {
  const config = fleetConfigFromEnv(process.env);
  if (config) return config.apps[0]!.topics[0]!;
  return process.env.APNS_TOPICS?.split(',')[0]?.trim() || DEMO_TOPIC;
}

/**
 * Enqueue `count` demo notifications (their text ends "of <label>") in bench:e2e's mix: calls of
 * DEMO_BATCH, every fifth a fan-out, the others distinct payloads. In calls, as a producer of many should
 * send: the workers start on the first jobs while the rest is validated (one sendMany of 200,000 validated
 * for 2 s before enqueueing any). Resolves to the ids, in order.
 */
async function enqueueDemo(
  producer: Producer,
  topic: string,
  count: number,
  label: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0, call = 1; from < count; from += DEMO_BATCH, call++) {
    const n = Math.min(DEMO_BATCH, count - from);
    // Random tokens from one draw per call: a randomBytes call per token was 1.3 s of a 200,000 demo.
    const random = randomBytes(32 * n).toString('hex');
    const tokens = Array.from({ length: n }, (_, k) => random.slice(64 * k, 64 * k + 64));
    const sent =
      call % DEMO_FAN_OUT_EVERY === 0
        ? await producer.fanOut({ topic, payload: { aps: { alert: 'pushfleet demo: to everyone' } }, tokens })
        : await producer.sendMany(
            tokens.map((token, k) => ({
              token,
              topic,
              payload: {
                aps: { alert: { title: 'pushfleet demo', body: `notification ${from + k + 1} of ${label}` } },
              },
            })),
          );
    ids.push(...sent.ids);
  }
  return ids;
}

async function runDemo(
  redisUrl: string,
  topic: string,
  count: number,
  timeoutMs: number,
  warmUp: boolean,
): Promise<number> {
  const config = fleetConfigFromEnv(process.env);
  const producer = createProducer({
    redis: redisUrl,
    ...(config ? { routes: routesFor(config.apps) } : { app: appNameFromEnv(process.env) }),
  });
  try {
    const app = config ? config.apps[0]!.name : appNameFromEnv(process.env);
    const { client: redis } = connectRedis(redisUrl);
    try {
      if (warmUp) {
        const before = { [app]: await outcomeCounts(redis, app) };
        const t0 = Date.now();
        await enqueueDemo(producer, topic, DEMO_WARM_UP, 'the warm-up');
        const warm = await waitForNotifications(redis, {
          baseline: before,
          expected: { [app]: DEMO_WARM_UP },
          timeoutMs,
          pollMs: 50,
        });
        const took = `${((Date.now() - t0) / 1000).toFixed(2)} s`;
        // One still running would be counted with the demo's own: stop rather than report a wrong count.
        if (warm.ended < DEMO_WARM_UP) {
          say(`warm-up: only ${warm.ended}/${DEMO_WARM_UP} notifications ended in ${took}; stopping`);
          return 1;
        }
        say(`warm-up: ${DEMO_WARM_UP} notifications ended in ${took} (not counted)`);
      }
      const bar = createProgressBar(count);
      // Waiting reads the app's outcome counters: O(1) per poll, whatever the count.
      const baseline = { [app]: await outcomeCounts(redis, app) };
      const started = Date.now();
      const ids = await enqueueDemo(producer, topic, count, String(count));
      const outcome = await waitForNotifications(redis, {
        baseline,
        expected: { [app]: count },
        timeoutMs,
        // bench:e2e's poll: the rates compare, and one read of the counters per poll costs Redis nothing.
        pollMs: 50,
        onProgress: (ended, _total, by) => bar.update(ended, ended - (by.delivered ?? 0)),
      });
      bar.end();
      const secs = (Date.now() - started) / 1000;
      const delivered = outcome.byOutcome.delivered ?? 0;
      say(`delivered ${delivered}/${count} in ${secs.toFixed(2)} s (${Math.round(delivered / secs)}/s)`);
      if (delivered === count) return 0;
      const others = Object.entries(outcome.byOutcome).filter(([o, n]) => o !== 'delivered' && n > 0);
      if (others.length > 0) say(`not delivered: ${others.map(([o, n]) => `${n} ${o}`).join(', ')}`);
      if (outcome.ended < count)
        say(`missing: ${count - outcome.ended} still not finished after ${timeoutMs} ms`);
      for (const id of ids.slice(0, 2000)) {
        const s = await getNotificationStatus(redis, app, id);
        if (s?.state === 'final' && s.outcome !== 'delivered') {
          say(`first not delivered: ${id}: ${s.outcome} ${s.reason ?? ''}`);
          break;
        }
      }
    } finally {
      redis.disconnect();
    }
    return 1;
  } finally {
    await producer.close();
  }
}
