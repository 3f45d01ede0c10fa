/**
 * Standard tools against the simulator, with the files `writeTestCredentials` writes: curl over HTTP/2
 * with a provider token, and openssl s_client with the generated client certificate. Each test skips
 * when its tool is missing (CI installs both).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signProviderToken } from '../certs/sign-provider-token.js';
import { type TestCredentials, writeTestCredentials } from '../certs/write-test-credentials.js';
import { TOKEN } from './__fixtures__/test-client.js';
import { type Simulator, startSimulator } from './start-simulator.js';

const has = (tool: string, args: string[], check: RegExp) => {
  const r = spawnSync(tool, args);
  return r.status === 0 && check.test(r.stdout.toString());
};
const hasCurlHttp2 = has('curl', ['--version'], /HTTP2/);
const hasOpenssl = has('openssl', ['version'], /SSL/);

/** Run a tool with stdin closed; resolves with its exit code and output whatever the code. */
function run(tool: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(tool, args, { timeout: 8000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

let creds: TestCredentials;
let sim: Simulator;
let jwt: string;
const file = (name: string) => join(creds.dir, name);

beforeAll(async () => {
  creds = await writeTestCredentials(mkdtempSync(join(tmpdir(), 'sim-tools-')), {
    bundleId: 'com.example.tools',
  });
  const m = creds.manifest;
  const keyPem = readFileSync(file(m.providerKey.file), 'utf8');
  sim = await startSimulator({
    tls: {
      cert: readFileSync(file(m.server.cert), 'utf8'),
      key: readFileSync(file(m.server.key), 'utf8'),
      ca: readFileSync(file(m.ca.cert), 'utf8'),
    },
    keys: [
      {
        keyId: m.keyId,
        teamId: m.teamId,
        publicKeyPem: createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString(),
      },
    ],
  });
  jwt = signProviderToken({ keyId: m.keyId, teamId: m.teamId, privateKeyPem: keyPem });
});
afterAll(async () => {
  await sim.close();
  rmSync(creds.dir, { recursive: true, force: true });
});

const curl = (token: string) =>
  run('curl', [
    '--silent',
    '--show-error',
    '--include',
    '--http2',
    '--cacert',
    file(creds.manifest.ca.cert),
    '-H',
    `authorization: bearer ${jwt}`,
    '-H',
    'apns-topic: com.example.tools',
    '-H',
    'apns-push-type: alert',
    '--data',
    '{"aps":{"alert":"from curl"}}',
    `${sim.url}/3/device/${token}`,
  ]);

describe('curl --http2', () => {
  it.skipIf(!hasCurlHttp2)('a provider token gets 200 with an apns-id header', async () => {
    const { code, stdout, stderr } = await curl(TOKEN);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^HTTP\/2 200 ?\r?\n/);
    const apnsId = /^apns-id: ([0-9a-f-]{36})\r?$/m.exec(stdout)?.[1];
    expect(apnsId).toBeDefined();
    const [record] = await sim.recorder.waitFor(1);
    expect(record).toMatchObject({ apnsId, token: TOKEN, topic: 'com.example.tools', auth: 'token' });
  });

  it.skipIf(!hasCurlHttp2)('a malformed device token gets 400 BadDeviceToken', async () => {
    const { stdout } = await curl('not-a-token');
    expect(stdout).toMatch(/^HTTP\/2 400 ?\r?\n/);
    expect(stdout).toMatch(/^apns-id: [0-9a-f-]{36}\r?$/m);
    expect(stdout.endsWith('{"reason":"BadDeviceToken"}')).toBe(true);
  });
});

describe('openssl s_client', () => {
  it.skipIf(!hasOpenssl)(
    'completes the mutual-TLS handshake with the generated client certificate and h2',
    async () => {
      const m = creds.manifest;
      const { stdout } = await run('openssl', [
        's_client',
        '-connect',
        `127.0.0.1:${sim.certificatePort}`,
        '-cert',
        file(m.client.cert),
        '-key',
        file(m.client.key),
        '-CAfile',
        file(m.ca.cert),
        '-alpn',
        'h2',
      ]);
      expect(stdout).toMatch(/Verify return code: 0 \(ok\)/);
      expect(stdout).toMatch(/ALPN protocol: h2/);
    },
  );
});
