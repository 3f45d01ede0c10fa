import { rootCertificates } from 'node:tls';
import { CredentialsError } from '@pushfleet/credentials';
import { describe, expect, it } from 'vitest';
import {
  checkHost,
  checkPort,
  clientTls,
  durationMs,
  integerAtLeast,
  withSecureContext,
} from './connection-options.js';
import { ApnsValidationError } from './errors.js';

describe('connection option checks', () => {
  it('durations: the fallback when absent, else a finite positive number (zero where allowed)', () => {
    expect(durationMs('timeoutMs', undefined, 500)).toBe(500);
    expect(durationMs('timeoutMs', 20, 500)).toBe(20);
    expect(durationMs('graceMs', 0, 100, true)).toBe(0);
    expect(() => durationMs('timeoutMs', 0, 500)).toThrow(
      'timeoutMs: must be a positive number of milliseconds',
    );
    expect(() => durationMs('graceMs', -1, 100, true)).toThrow('graceMs: must be a non-negative number');
    expect(() => durationMs('timeoutMs', Number.NaN, 500)).toThrow(ApnsValidationError);
    expect(() => durationMs('timeoutMs', '5' as unknown as number, 500)).toThrow('got 5');
  });

  it('integers: at least min; the fallback is raised to min', () => {
    expect(integerAtLeast('maxSessions', undefined, 4, 6)).toBe(6);
    expect(integerAtLeast('maxSessions', 7, 4, 6)).toBe(7);
    expect(() => integerAtLeast('resendBufferSize', 0, 10)).toThrow(
      'resendBufferSize: must be a positive integer, got 0',
    );
    expect(() => integerAtLeast('maxSessions', 5, 4, 6)).toThrow(
      'maxSessions: must be an integer ≥ 6, got 5',
    );
    expect(() => integerAtLeast('n', 1.5, 4)).toThrow('got 1.5');
  });

  it('host and port', () => {
    expect(checkHost('host', 'gateway.push.apple.com')).toBe('gateway.push.apple.com');
    expect(() => checkHost('host', '')).toThrow('host: is required');
    expect(checkPort('port', undefined, 2195)).toBe(2195);
    expect(() => checkPort('port', 70_000, 2195)).toThrow('port: must be an integer in 1..65535, got 70000');
  });
});

describe('clientTls', () => {
  it('sends SNI for a host name, none for an IP address, and an explicit servername always', () => {
    expect(clientTls('api.push.apple.com', {}).servername).toBe('api.push.apple.com');
    expect(clientTls('127.0.0.1', {})).not.toHaveProperty('servername');
    expect(clientTls('::1', {})).not.toHaveProperty('servername');
    expect(clientTls('127.0.0.1', { servername: 'localhost' }).servername).toBe('localhost');
  });

  it('adds extra CAs to the system store, and leaves the default store alone without them', () => {
    expect(clientTls('h', {})).not.toHaveProperty('ca');
    const ca = clientTls('h', { ca: 'PEM-A' }).ca as string[];
    expect(ca.length).toBe(rootCertificates.length + 1);
    expect(ca.at(-1)).toBe('PEM-A');
    expect((clientTls('h', { ca: ['PEM-A', 'PEM-B'] }).ca as string[]).slice(-2)).toEqual(['PEM-A', 'PEM-B']);
  });

  it('takes a client certificate, naming a missing part with the caller prefix', () => {
    const tls = clientTls('h', {}, { cert: 'CERT', key: 'KEY', passphrase: 'pw' });
    expect(tls).toMatchObject({ cert: 'CERT', key: 'KEY', passphrase: 'pw' });
    expect(clientTls('h', {}, { cert: 'CERT', key: 'KEY' })).not.toHaveProperty('passphrase');
    expect(() => clientTls('h', {}, { cert: '', key: 'KEY' }, 'auth.')).toThrow(
      'auth.cert: is required (PEM)',
    );
    expect(() => clientTls('h', {}, { cert: 'CERT' })).toThrow(CredentialsError);
    expect(() => clientTls('h', {}, { cert: 'CERT' })).toThrow('key: is required (PEM)');
  });
});

describe('withSecureContext', () => {
  it('builds one context from the options (to be reused by every connect), and keeps them otherwise', () => {
    const tls = clientTls('h', { ca: rootCertificates[0]! });
    const shared = withSecureContext(tls);
    expect(shared.secureContext).toBeDefined();
    expect(shared.ca).toBe(tls.ca);
    expect(withSecureContext(shared)).toBe(shared); // already has one: not built again
  });

  it('returns options that make no context as they are, so the connect reports the bad PEM', () => {
    const bad = clientTls('h', {}, { cert: 'CERT', key: 'KEY' });
    expect(withSecureContext(bad)).toBe(bad);
  });
});
