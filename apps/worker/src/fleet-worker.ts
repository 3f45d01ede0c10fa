/**
 * The fleet process: one BullMQ Worker per app, each sending through that app's APNs client, plus the
 * /metrics and /healthz endpoint. Stateless: scale by running more of these against the same Redis.
 */
import type { AddressInfo } from 'node:net';
import { Http2Client, loadSigningKey, ProviderToken } from '@pushfleet/apns';
import { createFleetMetrics, type FleetMetrics } from '@pushfleet/metrics';
import { type PushJobData, type PushJobResult, QUEUE_NAME, queueKeys } from '@pushfleet/queue';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type AppConfig, ConfigError, type WorkerConfig } from './config.js';
import { transportMetricsListener } from './instrumentation.js';
import { log } from './log.js';
import { createOpsServer } from './ops-server.js';
import { createPushProcessor, type PushSender } from './push-processor.js';

export interface FleetWorker extends AsyncDisposable {
  /** Where /metrics is served, e.g. http://127.0.0.1:9464/metrics. */
  readonly metricsUrl: string;
  readonly metrics: FleetMetrics;
  /** Stop taking jobs, finish the ones in flight, close APNs sessions and Redis. Idempotent. */
  close(): Promise<void>;
}

export interface StartFleetWorkerOptions {
  /** Registry to export on; a new one by default. */
  registry?: Registry;
  /** Collect Node process metrics (CPU, memory, event loop). @defaultValue true */
  processMetrics?: boolean;
}

interface AppRuntime {
  readonly app: AppConfig;
  readonly worker: Worker<PushJobData, PushJobResult>;
  readonly client: Sender;
}

interface Sender extends PushSender {
  close(): Promise<void>;
  /** Seconds since the provider token in use was issued (token auth only). */
  tokenAgeSeconds?(): number;
}

function createSender(app: AppConfig, metrics: FleetMetrics): Sender {
  if (app.transport !== 'http2') {
    throw new ConfigError(
      `apps.${app.name}.transport`,
      `${app.transport} is not wired into the worker yet; use http2`,
    );
  }
  const listener = transportMetricsListener(metrics, app.name, app.transport);
  const ca = app.ca ? { ca: app.ca } : {};
  if (app.auth.kind === 'certificate') {
    metrics.certificateExpiry.set(
      { app: app.name },
      Math.floor(app.auth.certificate.notAfter.getTime() / 1000),
    );
    return new Http2Client({
      url: app.url,
      ...ca,
      auth: { kind: 'certificate', cert: app.auth.certPem, key: app.auth.keyPem },
      listener,
    });
  }
  const key = loadSigningKey(app.auth.keyPem, `${app.name} key`);
  const token = new ProviderToken({ key, keyId: app.auth.keyId, teamId: app.auth.teamId });
  const client = new Http2Client({ url: app.url, ...ca, auth: { kind: 'token', token }, listener });
  return Object.assign(client, { tokenAgeSeconds: () => (Date.now() - token.issuedAtMs) / 1000 });
}

export async function startFleetWorker(
  config: WorkerConfig,
  options: StartFleetWorkerOptions = {},
): Promise<FleetWorker> {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const metrics = createFleetMetrics(registry);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const runtimes: AppRuntime[] = [];
  let redisReady = false;
  redis.on('ready', () => (redisReady = true));
  redis.on('end', () => (redisReady = false));
  redis.on('error', (err: Error) => log('warn', 'redis error', { error: err.message }));

  for (const app of config.apps) {
    const client = createSender(app, metrics);
    const processor = createPushProcessor({
      app: app.name,
      transport: app.transport,
      sender: client satisfies PushSender,
      redis,
      metrics,
    });
    const worker = new Worker<PushJobData, PushJobResult>(QUEUE_NAME, processor, {
      connection: redis,
      prefix: queueKeys.bullPrefix(app.name),
      concurrency: config.concurrency,
    });
    worker.on('error', (err) => log('error', 'worker error', { app: app.name, error: err.message }));
    worker.on('failed', (job, err) => {
      if (job && err.name !== 'RetryLaterError')
        log('info', 'job failed', { app: app.name, job: job.id, reason: err.message });
    });
    runtimes.push({ app, worker, client });
  }

  const beforeScrape = () => {
    for (const r of runtimes) {
      if (r.client.tokenAgeSeconds)
        metrics.providerTokenAge.set({ app: r.app.name }, r.client.tokenAgeSeconds());
    }
  };
  const ops = createOpsServer(registry, beforeScrape, () => {
    const running = runtimes.every((r) => r.worker.isRunning());
    return {
      ok: redisReady && running,
      detail: { redis: redisReady ? 'ready' : 'down', apps: runtimes.map((r) => r.app.name) },
    };
  });
  await new Promise<void>((resolve, reject) => {
    ops.once('error', reject);
    ops.listen(config.metricsPort, config.metricsHost, () => resolve());
  });
  const { port } = ops.address() as AddressInfo;
  const host = config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Finish in-flight jobs first (they complete only after APNs answered), then close the sessions.
      for (const r of runtimes)
        await r.worker.close().catch((err: Error) => log('warn', 'worker close', { error: err.message }));
      for (const r of runtimes)
        await r.client.close().catch((err: Error) => log('warn', 'client close', { error: err.message }));
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      ops.closeAllConnections();
      await redis.quit().catch(() => redis.disconnect());
    })());

  return { metricsUrl: `http://${host}:${port}/metrics`, metrics, close, [Symbol.asyncDispose]: close };
}
