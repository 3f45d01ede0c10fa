/**
 * `npm run chaos`: the fleet through a storm, end to end, with real processes (issue #21, item 3).
 *
 *   node test/dist/bench/chaos/run.js [--short] [--notifications N] [--redis single|cluster] [--out DIR]
 *
 * Processes: Redis (AOF on), one simulator per app in a process of their own (chaos-plan.ts: 5% 503, 1% 429,
 * a GOAWAY every 10,000 streams, stream resets, TCP resets, silent connections), `plan.workers` worker
 * processes, and this one as the producer. Under load: one app's endpoint goes down (60 s; 3 s in --short),
 * a worker is SIGKILLed and restarted, another SIGTERMed (drained) and restarted, Redis is SIGKILLed and
 * restarted from its AOF. Then every notification's final outcome is read back by id (final-tally.ts).
 *
 * Writes reports/chaos-<form>-<time>.json and .html; the last line printed is one JSON object with enqueued,
 * lost, stuck, dups_seen, dups_counted, outcomes, recovery_s (SIGKILL → its stalled jobs re-run) and more.
 * Exit status 1 when anything was lost or stuck.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectRedis, createProducer, outcomeCounts, routesFor } from '@pushfleet/queue';
import { type ChaosPlan, FULL_PLAN, SHORT_PLAN, topicOf } from './chaos-plan.js';
import { chaosResult, writeChaosReport } from './chaos-report.js';
import { chaosNotifications, prepareOutcomes, writeChaosFiles, writeFleetConfig } from './chaos-setup.js';
import { stuckJobs, tally } from './final-tally.js';
import { type RecoveryWatch, watchRecovery } from './recovery-watch.js';
import { type RedisKind, startRedisUnderTest } from './redis-under-test.js';
import { RunTimeline } from './run-timeline.js';
import { startSimulatorFleet } from './simulator-fleet.js';
import { type ChaosWorker, WorkerFleet } from './worker-fleet.js';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    notifications: { type: 'string' },
    redis: { type: 'string', default: 'single' },
    out: { type: 'string', default: fileURLToPath(new URL('../../../../reports/', import.meta.url)) },
  },
});
const base = values.short ? SHORT_PLAN : FULL_PLAN;
const plan: ChaosPlan =
  values.notifications === undefined
    ? base
    : { ...base, form: 'custom', notifications: Number(values.notifications) };
if (!Number.isSafeInteger(plan.notifications) || plan.notifications < 1000)
  throw new Error(`--notifications: must be a whole number of at least 1000; got ${values.notifications}`);
if (values.redis !== 'single' && values.redis !== 'cluster')
  throw new Error(`--redis: must be single or cluster; got ${values.redis}`);
const redisKind: RedisKind = values.redis;

const files = writeChaosFiles();
const timeline = new RunTimeline();
const sims = await startSimulatorFleet({
  op: 'start',
  tls: { cert: files.serverCertPem, key: files.serverKeyPem, ca: files.caPem },
  key: files.key,
  apps: plan.apps.map((name) => ({ name, topic: topicOf(name) })),
  faults: plan.faults,
});
const redisUnderTest = await startRedisUnderTest(redisKind, { downMs: plan.redisDownMs });
// The runner's own reads fail fast while Redis is down (a gap in the chart), instead of queueing.
const { client: redis } = connectRedis(redisUnderTest.url, { maxRetriesPerRequest: 1, connectTimeout: 1000 });
redis.on('error', () => {});
await prepareOutcomes(plan, sims, redis);
const configFile = writeFleetConfig(plan, files, sims.urls);
const fleet = new WorkerFleet({
  redisUrl: redisUnderTest.url,
  configFile,
  concurrency: plan.concurrency,
  logDir: files.logDir,
});
const workers: ChaosWorker[] = [];
for (let i = 1; i <= plan.workers; i++) workers.push(await fleet.start(`w${i}`));
const producer = createProducer({
  redis: redisUnderTest.url,
  routes: routesFor(plan.apps.map((name) => ({ name, topics: [topicOf(name)] }))),
  redisTimeoutMs: 2000,
});
const notifications = chaosNotifications(plan);
const recovery: RecoveryWatch = await watchRecovery(redisUnderTest.url, plan.apps);
const startedAt = Date.now();
console.log(
  `chaos (${plan.form}): ${plan.notifications} notifications for ${plan.apps.length} apps, ${plan.workers} workers, ` +
    `Redis ${redisKind}; logs in ${files.logDir}`,
);

// The producer enqueues everything as fast as Redis takes it; a batch refused (Redis away) is sent again
// with the same ids, which the SDK's idempotency makes safe.
const enqueueing = (async () => {
  for (let i = 0; i < notifications.length; i += 1000) {
    const batch = notifications.slice(i, i + 1000).map((n) => n.input);
    for (;;) {
      try {
        await producer.sendMany(batch);
        break;
      } catch (err) {
        timeline.mark(`enqueue retry: ${(err as Error).message.slice(0, 80)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  timeline.mark('enqueue done');
})();

// Faults that strike once, in order, when progress (notifications ended / enqueued) reaches their point.
const byProgress: { at: number; run: () => Promise<void> }[] = [
  {
    at: plan.outage.atProgress,
    run: async () => {
      const { app, ms } = plan.outage;
      await sims.setFaults(app, { ...plan.faults, outageMs: ms });
      timeline.mark(`outage ${app}: its endpoint down for ${ms / 1000} s`);
    },
  },
  {
    at: plan.sigkillAt,
    run: async () => {
      const victim = workers[0]!;
      await fleet.kill(victim);
      recovery.killed();
      timeline.mark(`SIGKILL ${victim.name}: restarted at once`);
      workers[0] = await fleet.start(`${victim.name}-restarted`);
    },
  },
  {
    at: plan.sigtermAt,
    run: async () => {
      const victim = workers[1]!;
      // The SIGKILL's stalls are found first (within lock + stall check), so the drain's are not taken for them.
      await recovery.stallSeen(15_000);
      recovery.closeWindow();
      timeline.mark(`SIGTERM ${victim.name}: graceful drain, then restarted`);
      await fleet.terminate(victim);
      workers[1] = await fleet.start(`${victim.name}-restarted`);
    },
  },
  {
    at: plan.redisKillAt,
    run: async () => {
      timeline.mark('Redis SIGKILL');
      const what = await redisUnderTest.fault();
      timeline.mark(`Redis back: ${what}`);
    },
  },
];

let faultChain: Promise<void> = Promise.resolve();
let fired = 0;
let ended = 0;
const deadline = startedAt + plan.timeoutMs;
let enqueueDone = false;
void enqueueing.then(() => (enqueueDone = true));
for (;;) {
  await new Promise((r) => setTimeout(r, 1000));
  // Each probe is bounded: one that hangs (a connection that came back half-way) must not stop the watch.
  const counts = await bounded('outcome counters', readEnded());
  if (counts !== undefined) ended = counts;
  const accepted = (await bounded('simulator counters', sims.counters()))?.accepted ?? 0;
  timeline.sample(counts, accepted);
  while (fired < byProgress.length && ended >= byProgress[fired]!.at * plan.notifications) {
    const step = byProgress[fired++]!;
    faultChain = faultChain.then(step.run);
  }
  if (Date.now() > deadline) {
    timeline.mark('timeout: giving up waiting for final outcomes');
    break;
  }
  if (!enqueueDone || fired < byProgress.length || ended < plan.notifications) continue;
  await faultChain;
  const left = await bounded('stuck jobs', stuck());
  if (left !== undefined && Object.values(left).every((n) => n === 0)) break;
}
await faultChain;
await enqueueing;

const recovered = await recovery.stop(5000);
// Every worker is stopped (SIGTERM, drained) before the tally: one that does not exit in time fails the run.
// Their /metrics go beside their logs first, for a run that went wrong.
await fleet.scrape();
const inFlightAtEnd = fleet.inFlight();
await fleet.dumpMetrics();
await fleet.stopAll();
const accepted = await sims.acceptedIds();
const endedAt = Date.now();
const result = chaosResult(
  plan,
  redisKind,
  await tally(
    redis,
    notifications.map((n) => n.enqueued),
    accepted,
    { fromMs: startedAt, toMs: endedAt },
  ),
  fleet.resends(),
  recovered,
  timeline,
  await sims.counters(),
  inFlightAtEnd,
  fleet.slowExits,
);
const paths = await writeChaosReport(values.out, result, timeline);
if (result.stuck > 0 || result.lost > 0 || fleet.slowExits.length > 0)
  console.log(`something was lost, stuck or slow to exit: worker logs in ${files.logDir}`);

await producer.close();
await sims.stop();
redis.disconnect();
await redisUnderTest.close();

console.log(
  `enqueued ${result.enqueued}, lost ${result.lost}, stuck ${result.stuck}, duplicates seen ${result.dups_seen} ` +
    `/ counted ${result.dups_counted}, outcomes ${JSON.stringify(result.outcomes)}, recovery after SIGKILL ` +
    `${result.recovery_s ?? '?'} s, ${result.duration_s} s in all\nreport: ${paths.htmlPath}`,
);
console.log(JSON.stringify(result));
process.exit(result.lost === 0 && result.stuck === 0 && fleet.slowExits.length === 0 ? 0 : 1);

/** `probe`'s value, or undefined (said once per kind) when it fails or takes over 10 s. */
const slowProbes = new Set<string>();
async function bounded<T>(what: string, probe: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      if (!slowProbes.has(what)) console.error(`chaos: reading ${what} took over 10 s; going on without it`);
      slowProbes.add(what);
      resolve(undefined);
    }, 10_000);
  });
  try {
    return await Promise.race([probe.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readEnded(): Promise<number> {
  let sum = 0;
  for (const app of plan.apps) for (const n of Object.values(await outcomeCounts(redis, app))) sum += n;
  return sum;
}

async function stuck(): Promise<Record<string, number>> {
  return stuckJobs(redis, plan.apps).catch(() => ({ unreadable: 1 }));
}
