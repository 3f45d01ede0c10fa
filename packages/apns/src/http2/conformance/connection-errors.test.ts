/**
 * RFC 9113 5.4.1 (connection error handling): after a connection error the client sends GOAWAY with the code
 * and closes; it processes no frame after the one in error (not even one in the same TCP chunk), and the
 * GOAWAY must reach the peer before the socket goes. Plus the pool's own robustness: requests that time out
 * while queued (behind a stream limit of 1, or while the connection is being made) must not crash the process
 * nor leave a session open after close().
 */
import { ErrorCode, FrameType, Setting } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import type { Http2Pool } from '../../index.js';
import {
  answeredBy,
  poolFor,
  type Tracked,
  track,
  transportCode,
  until,
  watchProcess,
} from './__fixtures__/client.js';
import { onFirstConnection } from './__fixtures__/first-connection.js';
import {
  END_HEADERS_AND_STREAM,
  errorName,
  headersFrame,
  pingFrame,
  rawFrame,
  responseBlock,
} from './__fixtures__/frames.js';
import { label, type RawH2Server, serveOk, startRawH2Server } from './__fixtures__/raw-h2-server.js';
import { startSlowRelay } from './__fixtures__/slow-relay.js';

const FRAMING_ERRORS = [errorName(ErrorCode.PROTOCOL_ERROR), errorName(ErrorCode.FRAME_SIZE_ERROR)];
const BAD_PING = rawFrame(FrameType.PING, 0, 0, Buffer.alloc(7));
const answer = (streamId: number) =>
  headersFrame(streamId, responseBlock(200, [['apns-id', label(0)]]), END_HEADERS_AND_STREAM);

describe('RFC 9113 5.4.1 connection error handling', () => {
  it('5.4.1: frames after a connection error are not processed (a bad PING, then a 200 in the same chunk)', async () => {
    // Was a bug: the read loop only stopped at 'close'. Now the connection error stops the frame reader at once
    // (FrameReader.stop()), so the HEADERS after the bad PING in the same read is never decoded.
    const result = await onFirstConnection((c, [r]) => c.write(BAD_PING, answer(r!.streamId)));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.goaway).toBeOneOf(FRAMING_ERRORS);
    expect(result.uncaught).toEqual([]);
  });

  it('5.4.1: the GOAWAY reaches the server when the error comes right after the SETTINGS exchange', async () => {
    // Was a bug: socket.destroy() right after writing the GOAWAY discarded it behind the unfinished SETTINGS
    // ACK write. Now the connection ends through ConnectionLife.end(), which flushes the GOAWAY before closing.
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      if (c.index > 0) serveOk(c);
    });
    await using pool = poolFor(server);
    const sent = track(pool);
    const first = await server.connection(0);
    await first.ended(1);
    first.write(BAD_PING); // no sync() first, on purpose
    await first.waitForClose();
    expect(first.goaways).toHaveLength(1);
    expect(errorName(first.goaways[0]!.code)).toBeOneOf(FRAMING_ERRORS);
    expect(answeredBy(await sent.outcome())).toBe(label(1));
    expect(watch.errors).toEqual([]);
  });

  it('5.4.1: the GOAWAY reaches the server while more frames are still arriving behind the bad one', async () => {
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      if (c.index > 0) serveOk(c);
    });
    await using pool = poolFor(server);
    const sent = track(pool);
    const first = await server.connection(0);
    await first.ended(1);
    await first.sync();
    // 1 MiB of valid PINGs after the bad one: still unread on the client's side when it closes.
    const tail = Buffer.concat(Array.from({ length: (1 << 20) / 17 }, () => pingFrame()));
    first.write(BAD_PING, tail);
    await first.waitForClose();
    expect(first.goaways).toHaveLength(1);
    expect(errorName(first.goaways[0]!.code)).toBeOneOf(FRAMING_ERRORS);
    expect(answeredBy(await sent.outcome())).toBe(label(1));
    expect(watch.errors).toEqual([]);
  });
});

describe('Http2Pool: requests that time out in the queue', () => {
  /**
   * Close the pool; if close() left a session behind (today it can, see below), let it connect and then end
   * it while this test still watches the process, so that what it does lands here and not in a later test.
   * Returns how many sessions close() left.
   */
  async function closeContained(pool: Http2Pool, server: RawH2Server): Promise<number> {
    await pool.close();
    const left = pool.stats.sessions;
    if (left > 0) {
      const leaked = await server.connection(server.connections.length, 5_000).catch(() => undefined);
      leaked?.destroy();
      await until(() => pool.stats.sessions === 0, 5_000);
    }
    return left;
  }

  it('requests that time out while queued behind SETTINGS_MAX_CONCURRENT_STREAMS = 1 do not crash the process', async () => {
    // Was a crash: timed-out queued requests left undefined queue slots that the pump read (`undefined.settled`),
    // a TypeError from a timer callback, i.e. an uncaught exception that killed a worker.
    using watch = watchProcess();
    await using server = await startRawH2Server(() => {}, {
      settings: [[Setting.MAX_CONCURRENT_STREAMS, 1]],
    });
    await using pool = poolFor(server, { requestTimeoutMs: 300, maxSessions: 1 });
    const sent: Tracked[] = [track(pool), track(pool), track(pool)];
    const first = await server.connection(0);
    await first.ended(1);
    await Promise.all(sent.map((s) => s.outcome(3_000).catch(() => undefined)));
    await closeContained(pool, server);
    expect(sent.map(code)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
    expect(watch.errors).toEqual([]);
  });

  it('requests that time out while the connection is being made do not crash the process when it opens', async () => {
    // Was the same crash: the undefined queue slots, read by the pump that runs once the connection is up.
    using watch = watchProcess();
    await using server = await startRawH2Server(serveOk);
    await using relay = await startSlowRelay(server, 600);
    await using pool = poolFor(relay, { requestTimeoutMs: 200 });
    const sent: Tracked[] = [track(pool), track(pool)];
    await Promise.all(sent.map((s) => s.outcome(3_000).catch(() => undefined)));
    const first = await server.connection(0);
    await first.sync(); // the client is connected and has pumped its queue
    await closeContained(pool, server);
    expect(sent.map(code)).toEqual(['TIMEOUT', 'TIMEOUT']);
    expect(watch.errors).toEqual([]);
  });

  it('close() after requests timed out in the queue leaves no session behind', async () => {
    // Was a bug: close() retired the connecting session, whose onDraining saw stale queue slots and grew the
    // pool by a new session. Since the pool rewrite, close() opens no session behind it.
    using watch = watchProcess();
    await using server = await startRawH2Server(serveOk);
    await using relay = await startSlowRelay(server, 600);
    await using pool = poolFor(relay, { requestTimeoutMs: 200 });
    const sent: Tracked[] = [track(pool), track(pool)];
    await Promise.all(sent.map((s) => s.outcome(3_000).catch(() => undefined)));
    expect(await closeContained(pool, server)).toBe(0);
    expect(watch.errors).toEqual([]);
  });
});

const code = (s: Tracked) => (s.settled === undefined ? 'pending' : transportCode(s.settled));
