/**
 * One app's broadcast side in the worker: a BullMQ Worker on the app's `broadcasts` queue running
 * broadcast-processor.ts, with its own BroadcastClient (to the app's push host) and ChannelClient (to the
 * channel-management host: Apple's for Apple's push hosts, else `managementUrl`, e.g. the simulator's), and
 * the `pushfleet_broadcast_channels` gauge read from the app's channel registry at scrape.
 *
 * Token apps share the fleet's provider token (one JWT per team and key, under a Redis lease); certificate
 * apps present their certificate. Legacy-transport apps have no broadcast side.
 */
import {
  APNS_HOSTS,
  BroadcastClient,
  ChannelClient,
  channelManagementUrl,
  type Http2ClientAuth,
} from '@pushfleet/apns';
import type { ResolvedApp } from '@pushfleet/config';
import { loadSigningKey } from '@pushfleet/credentials';
import type { Logger, OutageLog } from '@pushfleet/log';
import type { FleetMetrics } from '@pushfleet/metrics';
import type { RedisClient } from '@pushfleet/queue';
import { appBroadcastQueue, countLiveChannels, startSharedProviderToken } from '@pushfleet/queue';
import { Worker } from 'bullmq';
import { createBroadcastProcessor } from './broadcast-processor.js';
import { drainWorker } from './drain.js';
import type { RetryPolicyOptions } from './retry-policy.js';

export interface BroadcastWorkerOptions {
  readonly app: ResolvedApp;
  readonly redis: RedisClient;
  readonly metrics: FleetMetrics;
  readonly log: Logger;
  /** The worker's one-line-per-outage log, shared with the push queues (not a line per Redis error). */
  readonly outages: OutageLog;
  readonly policy: RetryPolicyOptions;
  /** The channel-management origin when the app's push host is not Apple's. */
  readonly managementUrl?: string | undefined;
  /** @defaultValue 16 */
  readonly concurrency?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
}

export interface BroadcastWorker {
  readonly worker: Worker;
  /** Set the app's channel gauge from the registry. */
  beforeScrape(): Promise<void>;
  /** Take no new job; let the running ones finish until `deadlineMs`, then let them go (drain.ts). */
  drain(deadlineMs: number): Promise<boolean>;
  /** Close the APNs clients and the shared token, after the drain. */
  close(): Promise<void>;
}

/** Apple's management host for Apple's push host (sandbox :2195, production :2196); else `fallback`. */
export function managementUrlFor(pushUrl: string, fallback: string | undefined): string | undefined {
  const host = new URL(pushUrl).hostname;
  if (host === APNS_HOSTS.production) return channelManagementUrl('production');
  if (host === APNS_HOSTS.sandbox) return channelManagementUrl('sandbox');
  return fallback;
}

export async function startBroadcastWorker(o: BroadcastWorkerOptions): Promise<BroadcastWorker | undefined> {
  const { app } = o;
  if (app.transport !== 'http2') return undefined;
  let auth: Http2ClientAuth;
  let closeToken: () => Promise<void> = async () => {};
  if (app.auth.kind === 'certificate') {
    auth = { kind: 'certificate', cert: app.auth.certPem, key: app.auth.keyPem };
  } else {
    const token = await startSharedProviderToken({
      redis: o.redis,
      key: loadSigningKey(app.auth.keyPem, `${app.name} key`),
      keyId: app.auth.keyId,
      teamId: app.auth.teamId,
      onRefresh: (result) => o.metrics.providerTokenRefreshes.inc({ app: app.name, result }),
    });
    auth = { kind: 'token', token };
    closeToken = () => token.close();
  }
  const common = {
    auth,
    // A certificate app's broadcasts try its certificate: Apple's pages disagree, a 403 fails them as creds-broken.
    allowCertificate: auth.kind === 'certificate',
    ...(app.ca ? { ca: app.ca } : {}),
    ...(o.requestTimeoutMs !== undefined ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
  };
  const broadcasts = new BroadcastClient({ url: app.url, ...common });
  const managementUrl = managementUrlFor(app.url, o.managementUrl);
  const channels =
    managementUrl === undefined ? undefined : new ChannelClient({ url: managementUrl, ...common });
  const processor = createBroadcastProcessor({
    app: app.name,
    broadcasts,
    channels,
    redis: o.redis,
    metrics: o.metrics,
    policy: o.policy,
    log: o.log,
  });
  const queue = appBroadcastQueue(app.name);
  const worker = new Worker(queue.name, processor, {
    connection: o.redis,
    prefix: queue.prefix,
    concurrency: o.concurrency ?? 16,
  });
  const what = `broadcasts ${app.name}`;
  worker.on('error', (err) => o.outages.failed(what, err, { app: app.name }));
  worker.on('active', () => o.outages.recovered(what, { app: app.name }));
  return {
    worker,
    async beforeScrape() {
      o.metrics.broadcastChannels.set({ app: app.name }, await countLiveChannels(o.redis, app.name));
    },
    // Drained like the push queue (pause, then a forced close): a plain close() waited forever on a Redis
    // Cluster after a master failover (its blocking read never returned).
    drain: (deadlineMs) => drainWorker(worker, deadlineMs),
    async close() {
      await Promise.all([broadcasts.close(), channels?.close()]);
      await closeToken();
    },
  };
}
