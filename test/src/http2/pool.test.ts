/**
 * Http2Pool against the simulator over TLS: stream limits that move mid-session, GOAWAY mid-burst, refused
 * connections, certificate auth.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type ApnsRequest, Http2Pool, ProviderToken, TransportError } from '@pushfleet/apns';
import { loadSigningKey } from '@pushfleet/credentials';
import {
  createApnsClientCertificate,
  createCertificateAuthority,
  createProviderKey,
  createServerCertificate,
  startSimulator,
} from '@pushfleet/simulator';
import { describe, expect, it } from 'vitest';

const TOPIC = 'com.example.app';
const providerKey = createProviderKey();

function tokenAuth() {
  const token = new ProviderToken({
    key: loadSigningKey(providerKey.privateKeyPem, 'test.p8'),
    keyId: providerKey.keyId,
    teamId: providerKey.teamId,
  });
  return { kind: 'token', token } as const;
}

function request(token: string, apnsId = randomUUID()): ApnsRequest {
  return { token, topic: TOPIC, pushType: 'alert', apnsId, payload: '{"aps":{"alert":"hi"}}' };
}

const hexToken = (i: number) => i.toString(16).padStart(64, '0');

function perId(accepted: readonly { apnsId: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of accepted) counts.set(r.apnsId, (counts.get(r.apnsId) ?? 0) + 1);
  return counts;
}

describe('Http2Pool against the simulator', () => {
  it('obeys MAX_CONCURRENT_STREAMS as it drops to 1 after rejections and rises again; dead tokens stall nothing', async () => {
    await using sim = await startSimulator({
      keys: [providerKey],
      certificatePort: null,
      maxConcurrentStreams: 100,
      dropStreamsAfterRejection: true,
    });
    await using pool = new Http2Pool({ url: sim.url, ca: sim.ca, auth: tokenAuth(), maxSessions: 4 });
    const dead = new Set<string>();
    for (let i = 0; i < 400; i += 4) {
      sim.devices.markDead(hexToken(i));
      dead.add(hexToken(i));
    }
    const limits = new Set<number>();
    const timer = setInterval(() => {
      for (const l of pool.stats.streamLimits) limits.add(l);
    }, 1);
    const verdicts = await Promise.all(
      Array.from({ length: 400 }, (_, i) => pool.send(request(hexToken(i)))),
    );
    clearInterval(timer);
    verdicts.forEach((v, i) => {
      expect(v.outcome).toBe(dead.has(hexToken(i)) ? 'token-invalid' : 'delivered');
    });
    expect(sim.recorder.counters.accepted).toBe(300);
    expect(sim.recorder.counters.rejected).toBe(100);
    // Streams sent before a lowered limit reached us may be refused; they are re-sent, never doubled.
    expect(new Set(sim.recorder.accepted.map((r) => r.apnsId)).size).toBe(300);
    expect(limits.has(1)).toBe(true);
    expect(limits.has(100)).toBe(true);
    // While one session was held at one stream, the pool opened others.
    expect(pool.stats.connectionsOpened).toBeGreaterThan(1);
  });

  it('GOAWAY mid-burst loses and duplicates nothing', async () => {
    await using sim = await startSimulator({ keys: [providerKey], certificatePort: null });
    await using pool = new Http2Pool({ url: sim.url, ca: sim.ca, auth: tokenAuth() });
    const ids = Array.from({ length: 3000 }, () => randomUUID());
    const sends = ids.map((id, i) => pool.send(request(hexToken(i), id)));
    await sim.recorder.waitFor(300);
    sim.goAway('Shutdown');
    const verdicts = await Promise.all(sends);
    expect(verdicts.every((v) => v.outcome === 'delivered')).toBe(true);
    const counts = perId(sim.recorder.accepted);
    expect(counts.size).toBe(ids.length);
    expect(ids.every((id) => counts.get(id) === 1)).toBe(true);
    expect(pool.stats.connectionsOpened).toBeGreaterThanOrEqual(2);
  });

  it('a refused connection fails with CONNECT_FAILED; the pool recovers once the simulator listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const ca = createCertificateAuthority();
    const server = createServerCertificate(ca, { hosts: ['127.0.0.1'] });
    await using pool = new Http2Pool({
      url: `https://127.0.0.1:${port}`,
      ca: ca.certPem,
      auth: tokenAuth(),
      reconnectMaxDelayMs: 50,
    });
    const error = await pool.send(request(hexToken(1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('CONNECT_FAILED');
    await using sim = await startSimulator({
      port,
      tls: { cert: server.certPem, key: server.keyPem, ca: ca.certPem },
      keys: [providerKey],
      certificatePort: null,
    });
    expect((await pool.send(request(hexToken(2)))).outcome).toBe('delivered');
    expect(sim.recorder.counters.accepted).toBe(1);
  });

  it('certificate auth works with a simulator client certificate; a wrong-environment one is creds-broken', async () => {
    await using sim = await startSimulator({ environment: 'production' });
    const ca = sim.credentials.ca!;
    const good = createApnsClientCertificate(ca, { bundleId: TOPIC, teamId: 'TEAM000001' });
    const sandboxOnly = createApnsClientCertificate(ca, {
      bundleId: TOPIC,
      teamId: 'TEAM000001',
      environments: ['development'],
    });
    for (const [cert, expected] of [
      [good, { outcome: 'delivered', status: 200 }],
      [sandboxOnly, { outcome: 'creds-broken', status: 403, reason: 'BadCertificateEnvironment' }],
    ] as const) {
      await using pool = new Http2Pool({
        url: sim.certificateUrl!,
        ca: sim.ca,
        auth: { kind: 'certificate', cert: cert.certPem, key: cert.keyPem },
      });
      expect(await pool.send(request(hexToken(3)))).toMatchObject(expected);
    }
  });
});
