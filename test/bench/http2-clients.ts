/**
 * The clients the HTTP/2 benchmark compares, each behind one `send(i) → delivered?` adapter, and the driver a
 * client child runs: warm up, wait for the parent's 'go', then send `requests` notifications keeping `window`
 * in flight, timing each from `send()` to its answer.
 *
 * Connections are matched pairwise, so no contender wins by holding more of them: `ours` and `node-apn-multi`
 * (node-apn's round-robin `MultiProvider`) hold `connections` each; `ours-1`, `node-apn` and `apns2` hold one.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type ClientHttp2Session, connect } from 'node:http2';
import apn from '@parse/node-apn';
import { Http2Pool, ProviderToken } from '@pushfleet/apns';
import { loadSigningKey } from '@pushfleet/credentials';
import { signProviderToken } from '@pushfleet/simulator/certificates';
import { ApnsClient, Notification } from 'apns2';
import type { ClientJob, ClientReport } from './http2-protocol.js';

export const CLIENT_NAMES = ['ours', 'ours-1', 'node-apn', 'node-apn-multi', 'apns2', 'bare'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

const ALERT = { title: 'pushfleet bench', body: 'one notification of a hundred thousand' };
const PAYLOAD = Buffer.from(JSON.stringify({ aps: { alert: ALERT, badge: 1 } }));

interface Adapter {
  /**
   * Send notification `i`; `settle(true)` once APNs answered 200. A callback, not a promise: each client is
   * driven through its own cheapest API (ours: `submit`, no promise per send; the others': their promises).
   */
  send(i: number, settle: (ok: boolean) => void): void;
  close(): Promise<void>;
}

interface Work {
  readonly tokens: readonly string[];
  readonly ids: readonly string[];
}

export async function runClient(job: ClientJob): Promise<ClientReport> {
  const total = job.warmup + job.requests;
  const work: Work = {
    tokens: Array.from({ length: total }, (_, i) => i.toString(16).padStart(64, '0')),
    ids: Array.from({ length: total }, () => randomUUID()),
  };
  const adapter = await createAdapter(job.name as ClientName, job, work);
  if (job.warmup > 0) await drive(adapter, 0, job.warmup, job.window);
  process.send?.('warm');
  await once(process, 'message');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { latencies, failed } = await drive(adapter, job.warmup, job.requests, job.window);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await adapter.close();
  latencies.sort();
  return {
    perSecond: job.requests / seconds,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? Number.NaN,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    cpuMicrosPerNotification: (cpu.user + cpu.system) / job.requests,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    failed,
    seconds,
  };
}

/** Keep `window` sends in flight until `count` answered; latency of each in ms. */
function drive(
  adapter: Adapter,
  offset: number,
  count: number,
  window: number,
): Promise<{ latencies: Float64Array; failed: number }> {
  return new Promise((resolve) => {
    const latencies = new Float64Array(count);
    let started = 0;
    let done = 0;
    let failed = 0;
    const launch = (): void => {
      const i = started++;
      const t = performance.now();
      const settle = (ok: boolean) => {
        latencies[i] = performance.now() - t;
        if (!ok) failed++;
        if (++done === count) resolve({ latencies, failed });
        else if (started < count) launch();
      };
      adapter.send(offset + i, settle);
    };
    for (let k = 0; k < Math.min(window, count); k++) launch();
  });
}

async function createAdapter(name: ClientName, job: ClientJob, work: Work): Promise<Adapter> {
  const url = new URL(job.url);
  switch (name) {
    case 'ours':
    case 'ours-1': {
      // Http2Pool (frame-level sessions), held at exactly its share of connections (it may not grow past them).
      // 'bare' below is the node:http2 client it replaced, for comparison.
      const sessions = name === 'ours' ? job.connections : 1;
      const token = new ProviderToken({
        key: loadSigningKey(job.key.privateKeyPem, 'bench.p8'),
        keyId: job.key.keyId,
        teamId: job.key.teamId,
      });
      const options = { url: job.url, ca: job.ca, auth: { kind: 'token', token } as const };
      const client = new Http2Pool({
        ...options,
        minSessions: sessions,
        maxSessions: sessions,
      });
      return {
        send: (i, settle) =>
          client.submit(
            {
              token: work.tokens[i]!,
              topic: job.topic,
              pushType: 'alert',
              priority: 10,
              apnsId: work.ids[i]!,
              payload: PAYLOAD,
            },
            { resolve: (v) => settle(v.outcome === 'delivered'), reject: () => settle(false) },
          ),
        close: () => client.close(),
      };
    }
    case 'node-apn':
    case 'node-apn-multi': {
      const options = {
        token: { key: job.key.privateKeyPem, keyId: job.key.keyId, teamId: job.key.teamId },
        address: url.hostname,
        port: url.port === '' ? 443 : Number(url.port),
        ca: [job.ca],
        production: false,
      };
      // MultiProvider: `clientCount` node-apn clients (one connection each), used round-robin.
      const provider =
        name === 'node-apn'
          ? new apn.Provider(options)
          : new apn.MultiProvider({ ...options, clientCount: job.connections });
      let reported = false;
      return {
        send: (i, settle) => {
          const note = new apn.Notification();
          note.alert = ALERT;
          note.badge = 1;
          note.topic = job.topic;
          note.id = work.ids[i]!;
          provider.send(note, work.tokens[i]!).then(
            (r) => {
              if (r.failed.length > 0 && !reported) {
                reported = true;
                console.error(`${name}: first failure`, JSON.stringify(r.failed[0]));
              }
              settle(r.sent.length === 1);
            },
            () => settle(false),
          );
        },
        close: async () => {
          await provider.shutdown();
        },
      };
    }
    case 'apns2': {
      // apns2 connects to https://<host>:443 and trusts the CA through NODE_EXTRA_CA_CERTS (set by the parent).
      const client = new ApnsClient({
        team: job.key.teamId,
        keyId: job.key.keyId,
        signingKey: job.key.privateKeyPem,
        host: url.hostname,
        defaultTopic: job.topic,
      });
      return {
        send: (i, settle) =>
          client.send(new Notification(work.tokens[i]!, { alert: ALERT, badge: 1 })).then(
            () => settle(true),
            () => settle(false),
          ),
        close: () => client.close(),
      };
    }
    case 'bare': {
      // A bare node:http2 client: one request per notification, headers as an object, no retries.
      const fixed = {
        ':method': 'POST',
        ':scheme': 'https',
        authorization: `bearer ${signProviderToken(job.key)}`,
        'apns-topic': job.topic,
        'apns-push-type': 'alert',
        'apns-priority': '10',
      };
      const sessions: ClientHttp2Session[] = [];
      for (let c = 0; c < job.connections; c++) {
        const session = connect(job.url, { ca: job.ca });
        session.on('error', () => {});
        await once(session, 'remoteSettings');
        sessions.push(session);
      }
      let n = 0;
      return {
        send: (i, settle) => {
          const session = sessions[n++ % sessions.length]!;
          const stream = session.request({
            ...fixed,
            ':path': `/3/device/${work.tokens[i]}`,
            'apns-id': work.ids[i],
          });
          let settled = false;
          const answer = (ok: boolean) => {
            if (settled) return;
            settled = true;
            settle(ok);
          };
          stream.on('response', (h) => answer(h[':status'] === 200));
          stream.on('error', () => answer(false));
          stream.resume();
          stream.end(PAYLOAD);
        },
        close: async () => {
          for (const s of sessions) s.close();
        },
      };
    }
  }
}
