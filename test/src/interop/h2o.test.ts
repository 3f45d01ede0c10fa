/**
 * Http2Pool against h2o (Debian package h2o, built with mruby): thousands of APNs-shaped requests with zero
 * protocol errors. h2o's file handler refuses POST, so a small mruby handler reads the body and answers 200
 * with the request's apns-id, as APNs does. h2o 2.2.5 advertises SETTINGS_MAX_CONCURRENT_STREAMS 100 and
 * SETTINGS_INITIAL_WINDOW_SIZE 16 MiB whatever its configuration; `http2-max-concurrent-requests-per-connection`
 * bounds how many streams it runs at once and queues the others itself. It encodes its answers with Huffman and
 * its dynamic table, and ends idle connections with GOAWAY after `http2-idle-timeout`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Http2Pool, type ProviderTokenSource } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import {
  closeCounter,
  findBinary,
  freePort,
  sendAll,
  startExternalServer,
  type Tally,
  tlsDir,
} from './interop-server.js';

const H2O = findBinary('h2o');
const REQUESTS = 3_000;
const token: ProviderTokenSource = {
  bearer: () => 'bearer interop',
  refreshAfterRejection: () => 'bearer interop',
};

/** An h2o configuration: one thread, TLS on 127.0.0.1:`port`, the APNs-like handler on /3/device. */
function config(port: number, keyFile: string, certFile: string, errorLog: string, extra: string): string {
  return `num-threads: 1
error-log: ${errorLog}
${extra}
listen:
  host: 127.0.0.1
  port: ${port}
  ssl:
    certificate-file: ${certFile}
    key-file: ${keyFile}
    ocsp-update-interval: 0
hosts:
  default:
    paths:
      /3/device:
        mruby.handler: |
          Proc.new do |env|
            body = env["rack.input"] ? env["rack.input"].read : ""
            if env["REQUEST_METHOD"] != "POST" || env["HTTP_APNS_TOPIC"].nil?
              [400, {"content-type" => "application/json"}, ["{\\"reason\\":\\"BadRequest\\"}"]]
            else
              [200, {"apns-id" => env["HTTP_APNS_ID"].to_s, "x-body-length" => body.bytesize.to_s}, []]
            end
          end
`;
}

/** Options of {@link run}. */
interface RunOptions {
  /** Send half, wait (bounded) until h2o closed the idle connection, send the other half. */
  readonly pauseForClose?: boolean;
}

async function run(extra: string, options: RunOptions = {}) {
  using tls = tlsDir();
  const port = await freePort();
  const file = join(tls.dir, 'h2o.yaml');
  writeFileSync(file, config(port, tls.keyFile, tls.certFile, join(tls.dir, 'error.log'), extra));
  await using server = await startExternalServer(H2O!, ['-c', file], port);
  const { listener, closes } = closeCounter();
  await using pool = new Http2Pool({
    url: server.url,
    ca: tls.ca,
    auth: { kind: 'token', token },
    requestTimeoutMs: 30_000,
    listener,
  });
  const limits = new Set<number>();
  const sample = setInterval(() => {
    for (const limit of pool.stats.streamLimits) limits.add(limit);
  }, 5);
  try {
    if (!options.pauseForClose) {
      const tally = await sendAll(pool, REQUESTS, 64, closes);
      return { ...tally, limits, resent: pool.stats.resent, sessions: pool.stats.connectionsOpened };
    }
    const first = await sendAll(pool, REQUESTS / 2, 64, closes);
    await until(() => closes.size > 0, 10_000);
    const second = await sendAll(pool, REQUESTS / 2, 64, closes);
    const tally = merge(first, second);
    return { ...tally, limits, resent: pool.stats.resent, sessions: pool.stats.connectionsOpened };
  } finally {
    clearInterval(sample);
  }
}

describe.skipIf(H2O === undefined)(
  H2O === undefined ? 'h2o interop (skipped: no h2o on PATH; apt-get install h2o)' : 'h2o interop',
  () => {
    it('3,000 requests with http2-max-concurrent-requests-per-connection: 4', {
      timeout: 120_000,
    }, async () => {
      const result = await run('http2-max-concurrent-requests-per-connection: 4\nhttp2-idle-timeout: 30');
      expect(result.failures, String(result.firstFailure)).toEqual(new Map());
      expect(result.statuses).toEqual(new Map([[200, REQUESTS]]));
      expect(result.closes.get('error') ?? 0).toBe(0);
      expect(result.resent).toBe(0);
      expect(result.limits.has(100)).toBe(true); // 1 before the SETTINGS arrive, then h2o's 100
    });

    it('3,000 requests run one at a time per connection (h2o queues the other 63 outstanding streams)', {
      timeout: 120_000,
    }, async () => {
      const result = await run('http2-max-concurrent-requests-per-connection: 1\nhttp2-idle-timeout: 30');
      expect(result.failures, String(result.firstFailure)).toEqual(new Map());
      expect(result.statuses).toEqual(new Map([[200, REQUESTS]]));
      expect(result.closes.get('error') ?? 0).toBe(0);
      expect(result.resent).toBe(0);
    });

    it('2 × 1,500 requests around an idle GOAWAY (http2-idle-timeout: 1): the pool reconnects, nothing fails', {
      timeout: 120_000,
    }, async () => {
      const result = await run('http2-idle-timeout: 1', { pauseForClose: true });
      expect(result.failures, String(result.firstFailure)).toEqual(new Map());
      expect(result.statuses).toEqual(new Map([[200, REQUESTS]]));
      expect(result.closes.get('error') ?? 0).toBe(0);
      expect(result.closes.get('goaway')).toBeGreaterThan(0);
      expect(result.sessions).toBeGreaterThan(1);
    });
  },
);

const sum = <K>(a: Map<K, number>, b: Map<K, number>) => {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
};

function merge(a: Tally, b: Tally): Tally {
  return {
    statuses: sum(a.statuses, b.statuses),
    failures: sum(a.failures, b.failures),
    closes: b.closes,
    firstFailure: a.firstFailure ?? b.firstFailure,
  };
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!condition() && performance.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
}
