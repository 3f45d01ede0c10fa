import { ValidationError } from '@pushfleet/queue';
import { describe, expect, it } from 'vitest';
import { appFromEnv, configuredApps, simulatorEndpointFromEnv } from './env-config.js';
import { localSimulatorEndpoint } from './simulator-endpoint.js';

const tokenEnv = { APNS_KEY_FILE: '/keys/AuthKey.p8', APNS_KEY_ID: 'ABCDE12345', APNS_TEAM_ID: 'TEAM123456' };

describe('appFromEnv', () => {
  it('describes one token app, sandbox by default, named "default"', () => {
    expect(appFromEnv({ ...tokenEnv, APNS_TOPICS: 'com.example.a, com.example.b' })).toEqual({
      name: 'default',
      topics: ['com.example.a', 'com.example.b'],
      transport: 'http2',
      environment: 'sandbox',
      credentials: {
        type: 'token',
        key: { file: '/keys/AuthKey.p8' },
        keyId: 'ABCDE12345',
        teamId: 'TEAM123456',
      },
    });
  });

  it('takes an explicit URL, a CA and a .p12 with its pass phrase variable', () => {
    expect(
      appFromEnv({
        PUSHFLEET_APP: 'shop',
        APNS_URL: 'https://127.0.0.1:2197/ignored',
        APNS_CA_FILE: '/sim/ca.pem',
        APNS_P12_FILE: '/certs/shop.p12',
        APNS_P12_PASSPHRASE: 'secret',
      }),
    ).toEqual({
      name: 'shop',
      topics: [],
      transport: 'http2',
      environment: 'url',
      url: 'https://127.0.0.1:2197',
      caFile: '/sim/ca.pem',
      credentials: {
        type: 'certificate',
        certificate: { file: '/certs/shop.p12' },
        passphraseEnv: 'APNS_P12_PASSPHRASE',
      },
    });
  });

  it.each([
    [{ ...tokenEnv, APNS_KEY_FILE: undefined }, 'APNS_KEY_FILE', /is required/],
    [{ ...tokenEnv, APNS_ENV: 'staging' }, 'APNS_ENV', /production or sandbox/],
    [{ ...tokenEnv, APNS_URL: 'tls://127.0.0.1:2195' }, 'APNS_URL', /must be https/],
    [{ ...tokenEnv, PUSHFLEET_APP: 'Shop!' }, 'PUSHFLEET_APP', /must be 1-63 chars/],
  ])('refuses %j naming %s', (env, field, problem) => {
    const err = (() => {
      try {
        appFromEnv(env);
      } catch (e) {
        return e;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect((err as ValidationError).problem).toMatch(problem);
  });
});

describe('configuredApps', () => {
  it('is the one app of the APNS_* variables when PUSHFLEET_CONFIG is unset', () => {
    expect(configuredApps(tokenEnv).map((a) => a.name)).toEqual(['default']);
  });
});

describe('simulatorEndpointFromEnv', () => {
  it('takes each variable that is set, else the caller’s fallback', () => {
    const fallback = localSimulatorEndpoint('/data/simulator/ca.pem');
    expect(simulatorEndpointFromEnv({ PUSHFLEET_SIMULATOR_URL: 'https://10.0.0.1:9000' }, fallback)).toEqual({
      url: 'https://10.0.0.1:9000',
      legacyUrl: 'tls://127.0.0.1:2195',
      feedbackUrl: 'tls://127.0.0.1:2196',
      caFile: '/data/simulator/ca.pem',
    });
    expect(simulatorEndpointFromEnv({ PUSHFLEET_SIMULATOR_CA_FILE: '/other/ca.pem' })).toEqual({
      url: undefined,
      legacyUrl: undefined,
      feedbackUrl: undefined,
      caFile: '/other/ca.pem',
    });
  });
});
