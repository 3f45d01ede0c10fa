/**
 * The credentials loaders against the simulator's certificate generator: what one side writes, the other reads,
 * and the loaded PEMs authenticate a mutual-TLS connection to a server that trusts the simulator CA.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import {
  CredentialsError,
  checkCertificateCredentials,
  inspectCertificate,
  loadCredentialsFromFiles,
  loadP12,
  loadPemCredentials,
  loadSigningKeyFile,
} from '@pushfleet/credentials';
import {
  createApnsClientCertificate,
  createCertificateAuthority,
  createServerCertificate,
  inspectPushCertificate,
  writeTestCredentials,
} from '@pushfleet/simulator/certificates';
import { afterAll, describe, expect, it } from 'vitest';

const ca = createCertificateAuthority();
const universal = createApnsClientCertificate(ca, { bundleId: 'com.example.sim', teamId: 'TEAM000001' });
const dir = mkdtempSync(join(tmpdir(), 'pushfleet-creds-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(fn: () => unknown): CredentialsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CredentialsError) return error;
    throw error;
  }
  throw new Error('expected a CredentialsError');
}

describe('loading the simulator generator’s certificates', () => {
  it('reads its .p12 (3DES, with the CA inside) and picks the client certificate', () => {
    const creds = loadP12(universal.p12, universal.passphrase, 'client.p12');
    const theirs = inspectPushCertificate(universal.certPem);
    expect(creds.chainPem).toHaveLength(1);
    expect(creds.certificate).toMatchObject({
      bundleId: theirs.bundleId,
      topics: theirs.topics,
      environments: theirs.environments,
      notAfter: theirs.notAfter,
      keyMatches: true,
      subject: { teamId: 'TEAM000001', commonName: theirs.commonName },
    });
    expect(() =>
      checkCertificateCredentials(creds.certificate, { environment: 'production', topics: universal.topics }),
    ).not.toThrow();
  });

  it('agrees on a single-topic, single-environment certificate', () => {
    const dev = createApnsClientCertificate(ca, {
      bundleId: 'com.example.dev',
      teamId: 'TEAM000001',
      environments: ['development'],
      multiTopic: false,
    });
    const info = loadPemCredentials(dev.certPem, dev.keyPem, undefined, 'dev.pem').certificate;
    expect(info.topics).toEqual(inspectPushCertificate(dev.certPem).topics);
    expect(info.subject.commonName).toBe('Apple Development IOS Push Services: com.example.dev');
    expect(failure(() => checkCertificateCredentials(info, { environment: 'production' })).message).toBe(
      'dev.pem: is a development-only certificate but is configured for production ' +
        '(it lacks the production extension 1.2.840.113635.100.6.3.2)',
    );
    expect(
      failure(() =>
        checkCertificateCredentials(info, { environment: 'sandbox', topics: ['com.example.dev.voip'] }),
      ).code,
    ).toBe('TOPIC_NOT_COVERED');
  });

  it('refuses an expired one with its date', () => {
    const old = createApnsClientCertificate(ca, {
      bundleId: 'com.example.old',
      teamId: 'TEAM000001',
      notBefore: new Date('2022-03-01T00:00:00Z'),
      notAfter: new Date('2023-03-01T00:00:00Z'),
    });
    const info = inspectCertificate(old.certPem, { keyPem: old.keyPem, source: 'old.pem' });
    expect(failure(() => checkCertificateCredentials(info, { environment: 'sandbox' })).message).toMatch(
      /^old\.pem: the certificate expired on 2023-03-01T00:00:00Z \(\d+ days ago\)/,
    );
  });

  it('loads what writeTestCredentials writes, by file', async () => {
    const written = await writeTestCredentials(dir, { bundleId: 'com.example.files', keyId: 'KEYID00001' });
    const m = written.manifest;
    const at = (f: string) => join(dir, f);
    const fromP12 = await loadCredentialsFromFiles({
      p12: at(m.client.p12),
      passphrase: m.client.passphrase,
    });
    const fromPem = await loadCredentialsFromFiles({ cert: at(m.client.cert), key: at(m.client.key) });
    expect(fromP12.certificate.sha256).toBe(fromPem.certificate.sha256);
    expect(fromP12.certificate.topics).toEqual(m.client.topics);
    expect((await loadSigningKeyFile(at(m.providerKey.file))).asymmetricKeyType).toBe('ec');
  });
});

describe('the loaded PEMs in node:tls', () => {
  it('authenticate a mutual-TLS connection to a server that trusts the CA', async () => {
    const creds = loadP12(universal.p12, universal.passphrase, 'client.p12');
    const server = createServerCertificate(ca, { hosts: ['localhost'] });
    const tls = createServer({
      cert: server.certPem,
      key: server.keyPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const peers: string[] = [];
    tls.on('secureConnection', (socket: TLSSocket) => {
      peers.push(String(socket.getPeerCertificate().subject?.CN));
      socket.end('ok');
    });
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    try {
      const socket = connect({
        host: '127.0.0.1',
        port: (tls.address() as AddressInfo).port,
        servername: 'localhost',
        ca: ca.certPem,
        cert: creds.certPem,
        key: creds.keyPem,
      });
      const [data] = await once(socket, 'data');
      expect(String(data)).toBe('ok');
      expect(socket.authorized).toBe(true);
      socket.destroy();
      expect(peers).toEqual(['Apple Push Services: com.example.sim']);
    } finally {
      tls.close();
    }
  });
});
