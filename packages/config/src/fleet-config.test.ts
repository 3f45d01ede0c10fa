import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routesFor, ValidationError } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import { loadFleetConfig, parseFleetConfig } from './fleet-config.js';

const token = { type: 'token', key: 'keys/AuthKey_ABCDE12345.p8', keyId: 'ABCDE12345', teamId: 'TEAM123456' };
const shop = {
  name: 'shop',
  topics: ['com.example.shop', 'com.example.shop.voip'],
  environment: 'production',
  credentials: token,
};
const news = {
  name: 'news',
  topics: ['com.example.news'],
  transport: 'legacy',
  environment: 'tls://127.0.0.1:2195',
  caFile: 'ca.pem',
  credentials: { type: 'certificate', certificate: { env: 'NEWS_P12' }, passphraseEnv: 'NEWS_PASS' },
};

function problem(raw: unknown): ValidationError {
  try {
    parseFleetConfig(raw, '/etc/pushfleet');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseFleetConfig', () => {
  it('parses apps, resolving relative paths against the file and defaulting the transport', () => {
    const config = parseFleetConfig({ apps: [shop, news] }, '/etc/pushfleet');
    expect(config.apps[0]).toEqual({
      name: 'shop',
      topics: ['com.example.shop', 'com.example.shop.voip'],
      transport: 'http2',
      environment: 'production',
      credentials: {
        type: 'token',
        key: { file: '/etc/pushfleet/keys/AuthKey_ABCDE12345.p8' },
        keyId: 'ABCDE12345',
        teamId: 'TEAM123456',
      },
    });
    expect(config.apps[1]).toMatchObject({
      transport: 'legacy',
      environment: 'url',
      url: 'tls://127.0.0.1:2195',
      caFile: '/etc/pushfleet/ca.pem',
      credentials: { type: 'certificate', certificate: { env: 'NEWS_P12' }, passphraseEnv: 'NEWS_PASS' },
    });
  });

  it.each([
    [{}, 'apps', /at least one app/],
    [{ apps: [{ ...shop, name: 'Shop!' }] }, 'apps[0].name', /must be 1-63 chars/],
    [{ apps: [{ ...shop, topics: [] }] }, 'apps[0].topics', /at least one topic/],
    [{ apps: [{ ...shop, topics: ['ok', 'not ok'] }] }, 'apps[0].topics[1]', /not a bundle id/],
    [{ apps: [{ ...shop, transport: 'smtp' }] }, 'apps[0].transport', /http2 or legacy/],
    [
      { apps: [{ ...shop, environment: 'staging' }] },
      'apps[0].environment',
      /production, sandbox, simulator or a URL/,
    ],
    [{ apps: [{ ...shop, environment: 'http://x:1' }] }, 'apps[0].environment', /must start with https:/],
    [
      { apps: [{ ...shop, credentials: { ...token, keyId: 'short' } }] },
      'apps[0].credentials.keyId',
      /10-character key id/,
    ],
    [
      { apps: [{ ...shop, credentials: { ...token, key: undefined } }] },
      'apps[0].credentials.key',
      /required/,
    ],
    [
      { apps: [{ ...shop, credentials: { ...token, key: { env: 'A', file: 'b' } } }] },
      'apps[0].credentials.key',
      /exactly one/,
    ],
    [
      { apps: [{ ...shop, credentials: { type: 'password' } }] },
      'apps[0].credentials.type',
      /"token" or "certificate"/,
    ],
    [
      { apps: [{ ...shop, credentials: { ...token, secret: 'x' } }] },
      'apps[0].credentials.secret',
      /not a known field/,
    ],
    [{ apps: [shop, { ...shop, topics: ['com.x'] }] }, 'apps[1].name', /used by two apps/],
    [
      { apps: [shop, { ...news, topics: ['com.example.shop'] }] },
      'apps[1].topics[0]',
      /already belongs to app "shop"/,
    ],
  ])('refuses %j at %s', (raw, field, message) => {
    const err = problem(raw);
    expect(err.field).toBe(field);
    expect(err.problem).toMatch(message);
  });

  it('names the file in errors from loadFleetConfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-config-'));
    const file = join(dir, 'fleet.json');
    writeFileSync(file, JSON.stringify({ apps: [{ ...shop, credentials: { ...token, teamId: 'x' } }] }));
    expect(() => loadFleetConfig(file)).toThrow(
      `${file}: apps[0].credentials.teamId: must be the 10-character team id (A-Z, 0-9)`,
    );
    writeFileSync(file, '{ "apps": [');
    expect(() => loadFleetConfig(file)).toThrow(new RegExp(`^${file}: is not valid JSON`));
    expect(() => loadFleetConfig(join(dir, 'missing.json'))).toThrow(
      /cannot read the config file \(ENOENT\)/,
    );
  });
});

describe('routesFor', () => {
  it('maps every topic to its app', () => {
    const routes = routesFor(parseFleetConfig({ apps: [shop, news] }).apps);
    expect(routes.apps).toEqual(['shop', 'news']);
    expect(routes.appFor('com.example.shop.voip')).toBe('shop');
    expect(routes.appFor('com.example.news')).toBe('news');
    expect(routes.appFor('com.example.other')).toBeUndefined();
  });
});

describe('per-app delivery settings', () => {
  it('parses retry overrides and dead-letter bounds', () => {
    const config = parseFleetConfig(
      {
        apps: [
          { ...shop, retry: { maxAgeMs: 3_600_000, maxDelayMs: 60_000 }, deadLetters: { maxEntries: 500 } },
        ],
      },
      '/etc/pushfleet',
    );
    expect(config.apps[0]).toMatchObject({
      retry: { maxAgeMs: 3_600_000, maxDelayMs: 60_000 },
      deadLetters: { maxEntries: 500 },
    });
  });

  it('refuses settings that would lose notifications or make no sense, naming the field', () => {
    expect(problem({ apps: [{ ...shop, retry: { maxAgeMs: 5000 } }] }).message).toBe(
      'apps[0].retry.maxAgeMs: 5000 ms is under a minute: an outage that short would lose notifications',
    );
    expect(problem({ apps: [{ ...shop, retry: { baseDelayMs: 9000, maxDelayMs: 1000 } }] }).message).toBe(
      'apps[0].retry.baseDelayMs: 9000 is above maxDelayMs (1000)',
    );
    expect(problem({ apps: [{ ...shop, retry: { attempts: 5 } }] }).field).toBe('apps[0].retry.attempts');
    expect(problem({ apps: [{ ...shop, deadLetters: { maxEntries: -1 } }] }).message).toBe(
      'apps[0].deadLetters.maxEntries: must be a whole number above 0',
    );
  });
});
