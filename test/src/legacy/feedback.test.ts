/**
 * The legacy feedback service end to end: tokens marked dead at the simulator come back through
 * `readFeedback` with their timestamps (time_t seconds), once; the list is per certificate topic; and the
 * tuples enter the dead-token registry through queue's one entry point, `recordInvalidToken`.
 */

import { TransportError } from '@pushfleet/apns';
import { readFeedback } from '@pushfleet/apns-legacy';
import { getInvalidToken, readFeedback as readFeedbackStream, recordInvalidToken } from '@pushfleet/queue';
import { type RedisServer, startRedisServer } from '@pushfleet/queue/redis-server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLE, type LegacyFixture, startLegacyFixture, tokenOf } from './legacy-fixture.js';

let fx: LegacyFixture;
let redisServer: RedisServer;
let redis: Redis;
beforeAll(async () => {
  [fx, redisServer] = await Promise.all([startLegacyFixture(), startRedisServer()]);
  redis = new Redis(redisServer.url);
});
afterAll(async () => {
  redis?.disconnect();
  await Promise.all([fx?.close(), redisServer?.close()]);
});
beforeEach(() => {
  fx.sim.devices.clear();
  fx.sim.feedback!.list.reset();
});

const read = (client = fx.client) =>
  readFeedback({
    host: '127.0.0.1',
    port: fx.feedbackPort,
    ca: fx.sim.ca,
    cert: client.certPem,
    key: client.keyPem,
  });

describe('legacy feedback service', () => {
  it('returns the tokens marked dead with their timestamps, oldest first; a second read is empty', async () => {
    fx.sim.devices.markDead(tokenOf(2), { timestamp: 1_700_000_500_999 });
    fx.sim.devices.markDead(tokenOf(1), { timestamp: 1_700_000_000_000 });
    fx.sim.devices.markForTopic(tokenOf(3), BUNDLE); // alive: not listed
    expect(await read()).toEqual([
      { token: tokenOf(1), timestamp: 1_700_000_000 },
      { token: tokenOf(2), timestamp: 1_700_000_500 },
    ]);
    expect(await read()).toEqual([]);
    // Dead again later: listed again.
    fx.sim.devices.markDead(tokenOf(1), { timestamp: 1_700_000_900_000 });
    expect(await read()).toEqual([{ token: tokenOf(1), timestamp: 1_700_000_900 }]);
  });

  it('keeps one list per topic: another app’s certificate reads only its own tokens', async () => {
    const other = fx.certificate({ bundleId: 'com.example.other' });
    fx.sim.devices.markDead(tokenOf(10), { timestamp: 1_600_000_000_000 });
    fx.sim.devices.markForTopic(tokenOf(10), BUNDLE);
    fx.sim.devices.markDead(tokenOf(11), { timestamp: 1_600_000_001_000 });
    fx.sim.devices.markForTopic(tokenOf(11), 'com.example.other');
    expect(await read(other)).toEqual([{ token: tokenOf(11), timestamp: 1_600_000_001 }]);
    expect(await read()).toEqual([{ token: tokenOf(10), timestamp: 1_600_000_000 }]);
    expect(await read(other)).toEqual([]);
  });

  it('a certificate for the other environment is closed at once: an empty read, the list stays', async () => {
    fx.sim.devices.markDead(tokenOf(20), { timestamp: 1_650_000_000_000 });
    const production = fx.certificate({ environments: ['production'] });
    expect(await read(production)).toEqual([]);
    expect(await read()).toEqual([{ token: tokenOf(20), timestamp: 1_650_000_000 }]);
  });

  it('no service listening -> TransportError CONNECT_FAILED', async () => {
    const error = await readFeedback({
      host: '127.0.0.1',
      port: 1,
      ca: fx.sim.ca,
      cert: fx.client.certPem,
      key: fx.client.keyPem,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('CONNECT_FAILED');
  });

  it('the tuples land in the token registry once, via recordInvalidToken', async () => {
    const app = `legacy-${Date.now()}`;
    fx.sim.devices.markDead(tokenOf(30), { timestamp: 1_710_000_000_000 });
    fx.sim.devices.markDead(tokenOf(31), { timestamp: 1_710_000_060_000 });
    const tuples = await read();
    const record = (t: { token: string; timestamp: number }) =>
      recordInvalidToken(redis, {
        app,
        token: t.token,
        reason: 'Feedback',
        timestamp: t.timestamp * 1000,
        topic: BUNDLE,
        source: 'feedback',
      });
    expect(await Promise.all(tuples.map(record))).toEqual([true, true]);
    expect(await Promise.all(tuples.map(record))).toEqual([false, false]); // recorded once
    expect(await getInvalidToken(redis, app, tokenOf(31))).toMatchObject({
      reason: 'Feedback',
      timestamp: 1_710_000_060_000,
      topic: BUNDLE,
      source: 'feedback',
    });
    const stream = await readFeedbackStream(redis, app);
    expect(stream.map((e) => [e.token, e.source])).toEqual([
      [tokenOf(30), 'feedback'],
      [tokenOf(31), 'feedback'],
    ]);
  });
});
