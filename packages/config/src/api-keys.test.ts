import { ValidationError } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import { apiKeysFromEnv, generateApiKey, hashApiKey, keyAllowsApp } from './api-keys.js';
import { parseFleetConfig } from './fleet-config.js';

const app = (name: string) => ({
  name,
  topics: [`com.example.${name}`],
  environment: 'sandbox',
  credentials: { type: 'token', key: 'k.p8', keyId: 'ABCDE12345', teamId: 'TEAM123456' },
});
const hash = hashApiKey('secret-key-1');

function problem(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('API keys', () => {
  it('the config file holds hashes scoped to its apps', () => {
    const config = parseFleetConfig({
      apps: [app('shop'), app('news')],
      apiKeys: [{ id: 'shop-backend', sha256: hash.toUpperCase(), apps: ['shop'], ratePerMinute: 60 }],
    });
    expect(config.apiKeys).toEqual([{ id: 'shop-backend', sha256: hash, apps: ['shop'], ratePerMinute: 60 }]);
    expect(keyAllowsApp(config.apiKeys![0]!, 'shop')).toBe(true);
    expect(keyAllowsApp(config.apiKeys![0]!, 'news')).toBe(false);
  });

  it.each([
    [
      { id: 'k', sha256: 'secret-key-1', apps: ['shop'] },
      'apiKeys[0].sha256',
      /SHA-256 .*never the key itself/,
    ],
    [{ id: 'Bad Id', sha256: hash, apps: ['shop'] }, 'apiKeys[0].id', /1-63 chars/],
    [{ id: 'k', sha256: hash, apps: [] }, 'apiKeys[0].apps', /at least one app/],
    [{ id: 'k', sha256: hash, apps: ['other'] }, 'apiKeys[0].apps[0]', /"other" is not a configured app/],
    [{ id: 'k', sha256: hash, apps: ['shop'], key: 'x' }, 'apiKeys[0].key', /not a known field/],
    [{ id: 'k', sha256: hash, apps: ['shop'], ratePerMinute: 0 }, 'apiKeys[0].ratePerMinute', /above 0/],
  ])('refuses %j naming %s', (key, field, message) => {
    const err = problem(() => parseFleetConfig({ apps: [app('shop')], apiKeys: [key] }));
    expect(err.field).toBe(field);
    expect(err.problem).toMatch(message);
  });

  it('refuses two keys with one id', () => {
    const k = { id: 'k', sha256: hash, apps: ['*'] };
    const err = problem(() =>
      parseFleetConfig({ apps: [app('shop')], apiKeys: [k, { ...k, sha256: hashApiKey('other') }] }),
    );
    expect(err.field).toBe('apiKeys[1].id');
  });

  it('PUSHFLEET_API_KEYS adds id:sha256:apps entries to the file keys', () => {
    const other = generateApiKey();
    expect(other.key).toMatch(/^pf_[A-Za-z0-9_-]{43}$/);
    expect(other.sha256).toBe(hashApiKey(other.key));
    const keys = apiKeysFromEnv(
      { PUSHFLEET_API_KEYS: `ops:${other.sha256}:*; shop2:${hash}:shop,news` },
      [],
      ['shop', 'news'],
    );
    expect(keys).toEqual([
      { id: 'ops', sha256: other.sha256, apps: ['*'] },
      { id: 'shop2', sha256: hash, apps: ['shop', 'news'] },
    ]);
    const err = problem(() => apiKeysFromEnv({ PUSHFLEET_API_KEYS: `ops:${hash}` }));
    expect(err.field).toBe('PUSHFLEET_API_KEYS[0]');
    expect(err.problem).toMatch(/ID:SHA256:APP/);
  });

  it('a webhook names its URL and the variable of its secret', () => {
    const config = parseFleetConfig({
      apps: [{ ...app('shop'), webhook: { url: 'https://hooks.example.com/dead', secretEnv: 'SHOP_HOOK' } }],
    });
    expect(config.apps[0]!.webhook).toEqual({
      url: 'https://hooks.example.com/dead',
      secretEnv: 'SHOP_HOOK',
    });
    const err = problem(() =>
      parseFleetConfig({ apps: [{ ...app('shop'), webhook: { url: 'ftp://x', secretEnv: 'S' } }] }),
    );
    expect(err.field).toBe('apps[0].webhook.url');
    const err2 = problem(() =>
      parseFleetConfig({ apps: [{ ...app('shop'), webhook: { url: 'https://x', secret: 'inline' } }] }),
    );
    expect(err2.field).toBe('apps[0].webhook.secret');
  });
});
