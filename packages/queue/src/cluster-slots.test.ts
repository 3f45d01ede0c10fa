/**
 * Every multi-key script and transaction of the fleet on a real Redis Cluster (3 masters): a key of another
 * slot in one of them would fail with CROSSSLOT here. One app's keys share its slot; apps differ.
 */
import { generateKeyPairSync } from 'node:crypto';
import { loadSigningKey } from '@pushfleet/credentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAppPause, pauseApp, resumeApp } from './app-pause.js';
import { addDeadLetters, type DeadLetter, listDeadLetters, redriveDeadLetters } from './dead-letter.js';
import { validateNotification } from './notification.js';
import { findNotification, recordFinalOutcomes } from './notification-status.js';
import { createProducer } from './producer.js';
import { readQueueDepth } from './queue-depth.js';
import { appPrefix, queueKeys } from './queue-keys.js';
import { type RedisCluster, startRedisCluster } from './redis-cluster.js';
import { connectRedis, type RedisClient } from './redis-connection.js';
import { startSharedProviderToken } from './shared-provider-token.js';
import { getInvalidToken, reactivateToken, readFeedback, recordInvalidToken } from './token-registry.js';
import { advanceWebhookPosition, holdWebhookLease, releaseWebhookLease } from './webhook-cursor.js';

let cluster: RedisCluster;
let redis: RedisClient;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  redis = connectRedis(cluster.url).client;
});
afterAll(async () => {
  redis.disconnect();
  await cluster.stop();
});

const TOKEN = 'ab'.repeat(32);

describe('the fleet keys on a Redis Cluster', () => {
  it('puts every key of an app in one slot and different apps in different slots', async () => {
    const slot = async (key: string) => Number(await redis.cluster('KEYSLOT', key));
    const keys = [
      `${appPrefix('shop')}:notifications:wait`,
      queueKeys.invalidTokens('shop'),
      queueKeys.feedbackStream('shop'),
      queueKeys.paused('shop'),
      queueKeys.deadLetters('shop'),
      queueKeys.deadLetterOrder('shop'),
      queueKeys.idempotency('shop', 'x'),
      queueKeys.notificationJobs('shop', 1),
      queueKeys.finalOutcomes('shop', 1),
      queueKeys.outcomeCounts('shop'),
      queueKeys.webhookPosition('shop'),
      queueKeys.webhookLease('shop'),
    ];
    const slots = new Set(await Promise.all(keys.map(slot)));
    expect(slots.size).toBe(1);
    expect(await slot(queueKeys.providerToken('T', 'K'))).toBe(
      await slot(queueKeys.providerTokenLease('T', 'K')),
    );
    expect(await slot(queueKeys.paused('news'))).not.toBe([...slots][0]);
  });

  it('runs the registry, status, dead-letter, pause, webhook and provider-token scripts', async () => {
    const app = 'shop';
    // Registry + feedback stream: one script over two keys.
    const report = { app, token: TOKEN, reason: 'Unregistered', timestamp: 1, source: 'http2' } as const;
    expect(await recordInvalidToken(redis, report)).toBe(true);
    expect((await getInvalidToken(redis, app, TOKEN))?.reason).toBe('Unregistered');
    expect(await readFeedback(redis, app)).toHaveLength(1);
    expect(await reactivateToken(redis, app, TOKEN)).toBeDefined();

    // Status: MULTI over the hour's final hash and the outcome counters; a pipelined read.
    const n = validateNotification({ token: TOKEN, topic: 'com.example.shop', payload: { aps: {} } });
    const final = { outcome: 'delivered', at: Date.now(), attempts: 1, jobId: 'j1' } as const;
    await recordFinalOutcomes(redis, app, [[n.id, final]]);
    expect((await findNotification(redis, app, n.id)).final).toEqual(final);

    // Dead letters: the add script (two keys), then a re-drive through BullMQ (a queue on the cluster).
    const letter: DeadLetter = {
      app,
      notification: n,
      outcome: 'dead-lettered',
      reason: 'test',
      attempts: [],
      enqueuedAt: 0,
      deadAt: Date.now(),
      jobId: n.id,
    };
    await addDeadLetters(redis, app, [letter]);
    expect((await redriveDeadLetters(redis, app)).redriven).toEqual([n.id]);
    expect((await listDeadLetters(redis, app)).total).toBe(0);
    expect((await readQueueDepth(redis, app)).waiting).toBe(1);

    // Pause (BullMQ's pause script plus our flag), webhook cursor and lease.
    expect(await pauseApp(redis, app, 'InvalidProviderToken', 'test')).toBe(true);
    expect((await getAppPause(redis, app))?.reason).toBe('InvalidProviderToken');
    expect(await resumeApp(redis, app)).toBeDefined();
    expect(await holdWebhookLease(redis, app, 'me', 5000)).toBe(true);
    expect(await advanceWebhookPosition(redis, app, '1-0')).toBe(true);
    await releaseWebhookLease(redis, app, 'me');

    // The shared provider token: the compare-and-set store over the token and its lease.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = loadSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }), 'test.p8');
    const token = await startSharedProviderToken({
      redis,
      key,
      keyId: 'KEY0000001',
      teamId: 'TEAM000001',
      pollIntervalMs: 0,
    });
    expect(token.mints).toBe(1);
    await token.close();
  });

  it('enqueues one batch for two apps with caller-chosen ids (idempotency per app slot)', async () => {
    const producer = createProducer({
      redis: cluster.url,
      routes: { apps: ['alpha', 'bravo'], appFor: (topic) => topic.split('.').at(-1) },
    });
    try {
      const batch = ['alpha', 'bravo'].map((app, i) => ({
        apnsId: `00000000-0000-4000-8000-00000000000${i}`,
        token: TOKEN,
        topic: `com.example.${app}`,
        payload: { aps: { alert: app } },
      }));
      expect((await producer.sendMany(batch)).ids).toHaveLength(2);
      // The same batch again is a no-op, found through both apps' fingerprints.
      expect((await producer.sendMany(batch)).jobIds).toEqual([]);
    } finally {
      await producer.close();
    }
  });
});
