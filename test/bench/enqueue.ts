/**
 * `npm run bench:enqueue`: what the producer SDK costs to enqueue, against BullMQ's own `addBulk` of the same
 * jobs, on one Redis (AOF on, everysec, as bench:e2e's), with nothing else running.
 *
 *   node test/dist/bench/enqueue.js [--notifications 200000] [--reps 3] [--fan-out 0.2]
 *
 * - `sdk`: the producer the fleet's callers use (`sendMany`, and `fanOut` for the fan-out share, in calls of
 *   1,000: bench:e2e's mix): validation, ids, jobs of 1,000 packed as job record v3, the id -> job index, one
 *   round trip per call.
 * - `bullmq`: `Queue#addBulk` of the jobs the SDK would have built, prepared before the clock starts (no
 *   validation, no ids, no index): the least any producer on BullMQ can spend for these jobs.
 *
 * Both use one ioredis connection and the SDK's job options; each rep starts on an empty Redis; reps alternate
 * (sdk, bullmq, sdk, ...) so both see the same machine. CPU is this process's, per notification. The last line
 * is one JSON object: enqueue_per_s, bullmq_per_s, ratio (sdk / bullmq), producer_cpu_us, bullmq_cpu_us.
 */
import { parseArgs } from 'node:util';
import {
  createProducer,
  DEFAULT_JOB_OPTIONS,
  DEFAULT_JOB_SIZE,
  madeNotificationId,
  newJobId,
  PUSH_JOB_NAME,
  type PushJobData,
  packJobData,
  QUEUE_NAME,
  queueKeys,
  validateNotification,
} from '@pushfleet/queue';
import { startRedisServer } from '@pushfleet/queue/redis-server';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BENCH_APP, BENCH_TOPIC, benchNotification, sendBench } from './bench-fleet.js';
import { machineInfo } from './machine-info.js';

const { values } = parseArgs({
  options: {
    notifications: { type: 'string', default: '200000' },
    reps: { type: 'string', default: '3' },
    'fan-out': { type: 'string', default: '0.2' },
  },
});
const total = Number(values.notifications);
const reps = Number(values.reps);
const fanOutShare = Number(values['fan-out']);
if (!(Number.isSafeInteger(total) && total >= 1000 && total % 1000 === 0))
  throw new Error(`--notifications: a whole number of thousands; got "${values.notifications}"`);
if (!(Number.isSafeInteger(reps) && reps >= 1)) throw new Error(`--reps: at least 1; got "${values.reps}"`);

await using redisServer = await startRedisServer({ persist: true });
const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });

/** The jobs the SDK would build for the bench's notifications: the `bullmq` contender's input. */
function prebuiltJobs(): { name: string; data: PushJobData; opts: { jobId: string } }[] {
  const jobs = [];
  for (let from = 0; from < total; from += DEFAULT_JOB_SIZE) {
    // Named as the SDK names them: a made job id, and each notification the id the job made for its place.
    const jobId = newJobId();
    const records = Array.from({ length: DEFAULT_JOB_SIZE }, (_, k) =>
      validateNotification({
        ...benchNotification(from + k, fanOutShare),
        apnsId: madeNotificationId(jobId, k),
      }),
    );
    jobs.push({
      name: PUSH_JOB_NAME,
      data: packJobData(BENCH_APP, Date.now(), jobId, records),
      opts: { jobId },
    });
  }
  return jobs;
}

interface Rep {
  readonly perS: number;
  readonly cpuUs: number;
}

async function timed(run: () => Promise<void>): Promise<Rep> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perS: total / seconds, cpuUs: (used.user + used.system) / total };
}

async function sdkRep(): Promise<Rep> {
  await redis.flushall();
  const producer = createProducer({ redis, app: BENCH_APP });
  await sendBench(producer, 0, 1000, fanOutShare); // warm: connection, scripts
  try {
    return await timed(async () => {
      for (let i = 0; i < total; i += 1000) await sendBench(producer, 1000 + i, 1000, fanOutShare);
    });
  } finally {
    await producer.close();
  }
}

async function bullmqRep(): Promise<Rep> {
  await redis.flushall();
  const queue = new Queue<PushJobData>(QUEUE_NAME, {
    connection: redis,
    prefix: queueKeys.bullPrefix(BENCH_APP),
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const jobs = prebuiltJobs();
  await queue.addBulk([{ name: PUSH_JOB_NAME, data: jobs[0]!.data, opts: { jobId: 'warm' } }]);
  try {
    return await timed(async () => {
      for (const job of jobs) await queue.addBulk([job]);
    });
  } finally {
    await queue.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sdk: Rep[] = [];
const bullmq: Rep[] = [];
for (let r = 0; r < reps; r++) {
  sdk.push(await sdkRep());
  bullmq.push(await bullmqRep());
  const [s, b] = [sdk.at(-1)!, bullmq.at(-1)!];
  console.log(
    `rep ${r + 1}: sdk ${Math.round(s.perS)}/s (${s.cpuUs.toFixed(1)} µs), ` +
      `bullmq addBulk ${Math.round(b.perS)}/s (${b.cpuUs.toFixed(1)} µs)`,
  );
}
await redis.quit();

const sdkPerS = median(sdk.map((r) => r.perS));
const bullmqPerS = median(bullmq.map((r) => r.perS));
console.log(
  `${BENCH_TOPIC}: ${total} notifications in calls of 1,000 (fan-out share ${fanOutShare}), medians of ${reps}; machine ${JSON.stringify(machineInfo())}`,
);
console.log(
  JSON.stringify({
    notifications: total,
    enqueue_per_s: Math.round(sdkPerS),
    bullmq_per_s: Math.round(bullmqPerS),
    ratio: Math.round((sdkPerS / bullmqPerS) * 1000) / 1000,
    producer_cpu_us: Math.round(median(sdk.map((r) => r.cpuUs)) * 10) / 10,
    bullmq_cpu_us: Math.round(median(bullmq.map((r) => r.cpuUs)) * 10) / 10,
  }),
);
