/**
 * Http2Pool against nghttpd (nghttp2's server, Debian package nghttp2-server): thousands of APNs-shaped
 * requests under SETTINGS the APNs servers never send, with zero protocol errors. `--echo-upload` answers every
 * POST with 200 and the body back (nghttpd serves files otherwise, and 404 for /3/device/...).
 */
import { Http2Pool, type ProviderTokenSource } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import {
  closeCounter,
  findBinary,
  freePort,
  sendAll,
  startExternalServer,
  tlsDir,
} from './interop-server.js';

const NGHTTPD = findBinary('nghttpd');
const REQUESTS = 3_000;
const token: ProviderTokenSource = {
  bearer: () => 'bearer interop',
  refreshAfterRejection: () => 'bearer interop',
};

async function run(flags: readonly string[]) {
  using tls = tlsDir();
  const port = await freePort();
  await using server = await startExternalServer(
    NGHTTPD!,
    ['--echo-upload', '-a', '127.0.0.1', ...flags, String(port), tls.keyFile, tls.certFile],
    port,
  );
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
    const tally = await sendAll(pool, REQUESTS, 64, closes);
    return { ...tally, limits, resent: pool.stats.resent, output: server.output() };
  } finally {
    clearInterval(sample);
  }
}

describe.skipIf(NGHTTPD === undefined)(
  NGHTTPD === undefined
    ? 'nghttpd interop (skipped: no nghttpd on PATH; apt-get install nghttp2-server)'
    : 'nghttpd interop',
  () => {
    it('3,000 requests with a 1,023-byte stream window, a 4,095-byte connection window, header table 0 and 4 streams', {
      timeout: 120_000,
    }, async () => {
      // Payloads go up to ~3 KiB, so most requests wait for WINDOW_UPDATE; every block is encoded without the
      // dynamic table once the SETTINGS are in (the first one is written before they are, as RFC 7541 allows).
      const result = await run([
        '--window-bits=10',
        '--connection-window-bits=12',
        '--header-table-size=0',
        '--max-concurrent-streams=4',
      ]);
      expect(result.failures, String(result.firstFailure)).toEqual(new Map());
      expect(result.statuses).toEqual(new Map([[200, REQUESTS]]));
      expect(result.closes.get('error') ?? 0).toBe(0);
      expect(result.resent).toBe(0);
      expect(Math.max(...result.limits)).toBe(4);
    });

    it('3,000 requests with padded frames, a 128-byte response header table (constant eviction) and trailers', {
      timeout: 120_000,
    }, async () => {
      const result = await run([
        '--padding=64',
        '--encoder-header-table-size=128',
        '--trailer=x-trailer: done',
        '--max-concurrent-streams=16',
        '--window-bits=14',
      ]);
      expect(result.failures, String(result.firstFailure)).toEqual(new Map());
      expect(result.statuses).toEqual(new Map([[200, REQUESTS]]));
      expect(result.closes.get('error') ?? 0).toBe(0);
      expect(result.resent).toBe(0);
    });
  },
);
