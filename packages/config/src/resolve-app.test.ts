import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError } from '@pushfleet/credentials';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppConfig } from './app-config.js';
import { resolveApp } from './resolve-app.js';
import { localSimulatorEndpoint } from './simulator-endpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-resolve-'));
const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
writeFileSync(join(dir, 'AuthKey.p8'), keyPem);
writeFileSync(
  join(dir, 'ca.pem'),
  '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n',
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const app = (over: Partial<AppConfig>): AppConfig => ({
  name: 'shop',
  topics: ['com.example.shop'],
  transport: 'http2',
  environment: 'production',
  credentials: {
    type: 'token',
    key: { file: join(dir, 'AuthKey.p8') },
    keyId: 'ABCDE12345',
    teamId: 'TEAM123456',
  },
  ...over,
});

describe('resolveApp', () => {
  it("points production at Apple's host and loads the .p8 key", () => {
    const resolved = resolveApp(app({}), { env: {} });
    expect(resolved).toMatchObject({ url: 'https://api.push.apple.com:443', apnsEnvironment: 'production' });
    expect(resolved.auth).toEqual({ kind: 'token', keyPem, keyId: 'ABCDE12345', teamId: 'TEAM123456' });
  });

  it('points the simulator where the caller says and trusts its CA', () => {
    const simulator = localSimulatorEndpoint(join(dir, 'ca.pem'));
    const resolved = resolveApp(app({ environment: 'simulator' }), { env: {}, simulator });
    expect(resolved).toMatchObject({ url: 'https://127.0.0.1:2197', apnsEnvironment: 'sandbox' });
    expect(resolved.ca).toMatch(/not checked here/);
  });

  it('refuses the simulator when no endpoint was given, and an unset key variable, naming the app', () => {
    expect(() => resolveApp(app({ environment: 'simulator' }), { env: {} })).toThrow(
      new CredentialsError('shop', 'no simulator endpoint is known for transport http2'),
    );
    const fromEnv = app({ credentials: { type: 'token', key: { env: 'SHOP_P8' }, keyId: 'A', teamId: 'B' } });
    expect(() => resolveApp(fromEnv, { env: {} })).toThrow(/^shop: environment variable SHOP_P8/);
  });
});
