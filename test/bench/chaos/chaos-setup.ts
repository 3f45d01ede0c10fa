/**
 * Everything a chaos run needs before the first notification: TLS and a provider key for the simulators,
 * the fleet config file the workers read (one app per simulator, the plan's retry policy), and the
 * notifications themselves, with the outcomes decided by design set up on both sides (dead tokens at the
 * simulator, tokens already recorded dead in the registry, notifications Apple refuses).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotificationInput, RedisClient } from '@pushfleet/queue';
import { recordInvalidToken } from '@pushfleet/queue';
import {
  createCertificateAuthority,
  createProviderKey,
  createServerCertificate,
  type ProviderKey,
} from '@pushfleet/simulator/certificates';
import { appOf, type ChaosPlan, isDeliverable, NOT_DELIVERABLE, tokenOf, topicOf } from './chaos-plan.js';
import type { Enqueued } from './final-tally.js';
import type { SimulatorFleet } from './simulator-fleet.js';

export interface ChaosFiles {
  readonly dir: string;
  readonly logDir: string;
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly key: ProviderKey;
  readonly keyFile: string;
  readonly caFile: string;
}

export function writeChaosFiles(): ChaosFiles {
  const ca = createCertificateAuthority();
  const server = createServerCertificate(ca, { hosts: ['localhost', '127.0.0.1'] });
  const key = createProviderKey();
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-chaos-'));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const keyFile = join(dir, 'AuthKey.p8');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  writeFileSync(caFile, ca.certPem, { mode: 0o600 });
  return {
    dir,
    logDir,
    caPem: ca.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    key,
    keyFile,
    caFile,
  };
}

/** The fleet config (docs/configuration.md) of the run's apps, each pointed at its own simulator. */
export function writeFleetConfig(
  plan: ChaosPlan,
  files: ChaosFiles,
  urls: Readonly<Record<string, string>>,
): string {
  const apps = plan.apps.map((name) => ({
    name,
    topics: [topicOf(name)],
    environment: urls[name],
    caFile: files.caFile,
    credentials: { type: 'token', key: files.keyFile, keyId: files.key.keyId, teamId: files.key.teamId },
    ...(plan.retry ? { retry: plan.retry } : {}),
  }));
  const path = join(files.dir, 'fleet.json');
  writeFileSync(path, JSON.stringify({ apps }, null, 2), { mode: 0o600 });
  return path;
}

export interface ChaosNotification {
  readonly input: NotificationInput;
  readonly enqueued: Enqueued;
}

/** The run's notifications (ids chosen here, so a batch refused by a Redis outage is re-sent idempotently). */
export function chaosNotifications(plan: ChaosPlan): ChaosNotification[] {
  return Array.from({ length: plan.notifications }, (_, i) => {
    const app = appOf(plan, i);
    const id = randomUUID();
    const input: NotificationInput = {
      token: tokenOf(i),
      topic: topicOf(app),
      apnsId: id,
      payload: { aps: { alert: `chaos #${i}` } },
      ...(NOT_DELIVERABLE.expiring(i) ? { expiration: Math.floor(Date.now() / 1000) + plan.expiresInS } : {}),
    };
    return { input, enqueued: { id, app, deliverable: isDeliverable(i) } };
  });
}

/** Set up the outcomes decided by design: dead at Apple, recorded dead before the enqueue, refused. */
export async function prepareOutcomes(
  plan: ChaosPlan,
  sims: SimulatorFleet,
  redis: RedisClient,
): Promise<void> {
  const by = (pick: (i: number) => boolean) => {
    const perApp = new Map<string, string[]>(plan.apps.map((a) => [a, []]));
    for (let i = 0; i < plan.notifications; i++) if (pick(i)) perApp.get(appOf(plan, i))!.push(tokenOf(i));
    return perApp;
  };
  for (const [app, tokens] of by(NOT_DELIVERABLE.deadAtApple)) await sims.markDead(app, tokens);
  for (const [app, tokens] of by(NOT_DELIVERABLE.refused)) await sims.reject(app, tokens, 'BadCollapseId');
  for (const [app, tokens] of by(NOT_DELIVERABLE.recordedDead)) {
    for (const token of tokens) {
      await recordInvalidToken(redis, {
        app,
        token,
        reason: 'Unregistered',
        timestamp: Date.now() - 60_000,
        topic: topicOf(app),
        source: 'http2',
      });
    }
  }
}
