/** `pushfleet simulator`: flags, and the printed client settings actually work (the curl lines are run). */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Simulator } from '@pushfleet/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSimulatorArgs, runSimulatorCommand } from './simulator-command.js';

const dir = mkdtempSync(join(tmpdir(), 'pushfleet-sim-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasCurlHttp2 = (() => {
  const r = spawnSync('curl', ['--version']);
  return r.status === 0 && /HTTP2/.test(r.stdout.toString());
})();

describe('parseSimulatorArgs', () => {
  it('maps every flag', () => {
    expect(
      parseSimulatorArgs([
        '--port=0',
        '--certificate-port',
        '0',
        '--host',
        '::1',
        '--topic',
        'com.example.x',
        '--environment',
        'production',
        '--seed',
        '9',
        '--latency-ms',
        '5',
        '--latency-jitter-ms',
        '2.5',
        '--latency-distribution',
        'exponential',
        '--rate-429',
        '0.1',
        '--rate-500',
        '0.2',
        '--rate-503',
        '0.3',
        '--goaway-after',
        '100',
        '--goaway-every-ms',
        '60000',
        '--reset-rate',
        '0.01',
        '--disconnect-rate',
        '0.001',
        '--window-size',
        '1024',
        '--read-delay-ms',
        '3',
        '--refuse-connections-ms',
        '500',
        '--disconnect-after-errors',
        '50',
      ]),
    ).toEqual({
      port: 0,
      certificatePort: 0,
      host: '::1',
      topic: 'com.example.x',
      environment: 'production',
      faults: {
        seed: 9,
        latencyMs: 5,
        latencyJitterMs: 2.5,
        latencyDistribution: 'exponential',
        rate429: 0.1,
        rate500: 0.2,
        rate503: 0.3,
        goAwayAfterStreams: 100,
        goAwayEveryMs: 60000,
        resetRate: 0.01,
        disconnectRate: 0.001,
        windowSize: 1024,
        readDelayMs: 3,
        refuseConnectionsMs: 500,
        disconnectAfterErrors: 50,
      },
    });
    expect(parseSimulatorArgs([])).toEqual({});
  });

  it('refuses bad values, naming the flag', () => {
    expect(() => parseSimulatorArgs(['--rate-500', 'half'])).toThrow(/--rate-500: "half"/);
    expect(() => parseSimulatorArgs(['--goaway-after', '2.5'])).toThrow(/--goaway-after/);
    expect(() => parseSimulatorArgs(['--environment', 'prod'])).toThrow(/--environment/);
    expect(() => parseSimulatorArgs(['--nope'])).toThrow(/nope/);
  });
});

describe('runSimulatorCommand', () => {
  it.skipIf(!hasCurlHttp2)(
    'prints token, certificate and channel-management settings whose curl lines succeed, and stops on abort',
    async () => {
      const lines: string[] = [];
      const stop = new AbortController();
      let sim: Simulator | undefined;
      const done = runSimulatorCommand(
        [
          '--port',
          '0',
          '--certificate-port',
          '0',
          '--admin-port',
          '0',
          '--management-port',
          '0',
          '--dir',
          dir,
          '--rate-500',
          '0',
          '--seed',
          '3',
        ],
        { out: (l) => lines.push(l), signal: stop.signal, onListening: (s) => (sim = s) },
      );
      await expect.poll(() => sim, { timeout: 8000 }).toBeDefined();
      const text = lines.join('\n');
      expect(text).toContain(`url            ${sim!.url}`);
      expect(text).toContain(`url            ${sim!.certificateUrl}`);
      expect(text).toMatch(/key id +\w{10}/);
      expect(text).toContain(join(dir, 'ca.pem'));
      expect(text).toContain('client-com.example.pushfleet.p12.pass');
      expect(text).toContain('faults           seed=3 rate500=0');
      const curls = lines.filter((l) => l.trim().startsWith('curl --http2'));
      expect(curls).toHaveLength(3);
      expect(text).toContain(`url            ${sim!.managementUrl}`);
      const codes: string[] = [];
      for (const curl of curls) {
        const { stdout } = await promisify(execFile)('sh', ['-c', `${curl.trim()} -sS -w '%{http_code}'`]);
        codes.push(stdout);
      }
      // a push with a token, one with a certificate, a channel created on the management port
      expect(codes).toEqual(['200', '200', '201']);
      stop.abort();
      expect(await done).toBe(0);
      expect(lines.at(-1)).toBe('stopped: 2 accepted, 0 rejected');
    },
  );

  it('runs the legacy gateway and feedback service, marks --dead-token dead, and serves the admin endpoint', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    let sim: Simulator | undefined;
    const dead = 'dd'.repeat(32);
    const done = runSimulatorCommand(
      [
        '--port',
        '0',
        '--certificate-port',
        '0',
        '--legacy-port',
        '0',
        '--feedback-port',
        '0',
        '--admin-port',
        '0',
        '--management-port',
        '0',
        '--dir',
        dir,
        '--dead-token',
        dead,
        '--dead-token',
        'EE'.repeat(32),
      ],
      { out: (l) => lines.push(l), signal: stop.signal, onListening: (s) => (sim = s) },
    );
    await expect.poll(() => sim, { timeout: 8000 }).toBeDefined();
    const text = lines.join('\n');
    expect(sim!.legacyUrl).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    expect(text).toContain(`url            ${sim!.legacyUrl}`);
    expect(text).toContain(`url            tls://127.0.0.1:${sim!.feedbackPort}`);
    expect(sim!.devices.get(dead)?.dead?.reason).toBe('Unregistered');
    expect(sim!.devices.get('ee'.repeat(32))?.dead?.reason).toBe('Unregistered');
    const admin = /admin +(http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    expect(admin).toBeDefined();

    // Any language's test suite: mark a token dead, forget it again, read the recorder.
    const other = 'ab'.repeat(32);
    const marked = await fetch(`${admin}/devices/${other}/dead`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'ExpiredToken', timestamp: 1_700_000_000_000 }),
    });
    expect(marked.status).toBe(200);
    expect(sim!.devices.get(other)?.dead).toEqual({ reason: 'ExpiredToken', timestamp: 1_700_000_000_000 });
    const bad = await fetch(`${admin}/devices/${other}/dead`, { method: 'POST', body: '{"reason":"Gone"}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('reason');
    expect((await fetch(`${admin}/devices/${other}`, { method: 'DELETE' })).status).toBe(200);
    expect(sim!.devices.get(other)).toBeUndefined();
    const devices = (await (await fetch(`${admin}/devices`)).json()) as { devices: Record<string, unknown> };
    expect(Object.keys(devices.devices).sort()).toEqual([dead, 'ee'.repeat(32)]);

    // A real request to the dead token over HTTP/2: 410, and the recorder shows it.
    const { ensureSimulatorCredentials } = await import('./simulator-credentials.js');
    const { signProviderToken } = await import('@pushfleet/simulator');
    const { readFileSync } = await import('node:fs');
    const { connect } = await import('node:http2');
    const creds = await ensureSimulatorCredentials(dir, 'com.example.pushfleet');
    const jwt = signProviderToken({
      keyId: creds.keyId,
      teamId: creds.teamId,
      privateKeyPem: readFileSync(creds.keyFile, 'utf8'),
    });
    const session = connect(sim!.url, { ca: readFileSync(creds.caFile) });
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':path': `/3/device/${dead}`,
        authorization: `bearer ${jwt}`,
        'apns-topic': 'com.example.pushfleet',
        'apns-push-type': 'alert',
      });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.end('{"aps":{"alert":"x"}}');
    });
    session.close();
    expect(status).toBe(410);
    const recorder = (await (await fetch(`${admin}/recorder`)).json()) as {
      counters: { rejected: number; byReason: Record<string, number> };
      rejected: Array<{ path: string; status: number; reason: string }>;
      legacy?: { counters: { accepted: number } };
    };
    expect(recorder.counters.byReason).toEqual({ Unregistered: 1 });
    expect(recorder.rejected).toMatchObject([
      { path: `/3/device/${dead}`, status: 410, reason: 'Unregistered' },
    ]);
    expect(recorder.legacy?.counters.accepted).toBe(0);

    // The development delivery log: a push looked up by the apns-unique-id it was answered with.
    const session2 = connect(sim!.url, { ca: readFileSync(creds.caFile) });
    const uniqueId = await new Promise<string>((resolve, reject) => {
      const req = session2.request({
        ':method': 'POST',
        ':path': `/3/device/${'b2'.repeat(32)}`,
        authorization: `bearer ${jwt}`,
        'apns-topic': 'com.example.pushfleet',
        'apns-push-type': 'alert',
      });
      req.on('response', (h) => resolve(String(h['apns-unique-id'])));
      req.on('error', reject);
      req.end('{"aps":{"alert":"logged"}}');
    });
    session2.close();
    const logged = await fetch(`${admin}/delivery-log/${uniqueId}`);
    expect(logged.status).toBe(200);
    expect(await logged.json()).toMatchObject({
      uniqueId,
      token: 'b2'.repeat(32),
      payload: '{"aps":{"alert":"logged"}}',
    });
    expect(
      (await fetch(`${admin}/delivery-log/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`)).status,
    ).toBe(404);
    stop.abort();
    expect(await done).toBe(0);
  });
});
