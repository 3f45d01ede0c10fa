/**
 * Shared set-up of the legacy suites: a simulator with the binary gateway and the feedback service on, and
 * Apple-shaped client certificates signed by its CA (per run, nothing committed).
 */
import { randomBytes } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import type { ApnsRequest } from '@pushfleet/apns';
import {
  type ApnsClientCertificate,
  type CertificateEnvironment,
  createApnsClientCertificate,
  type Simulator,
  startSimulator,
} from '@pushfleet/simulator';

export const BUNDLE = 'com.example.legacy';
export const TEAM = 'TEAMLEGACY';

export interface LegacyFixture {
  readonly sim: Simulator;
  readonly gatewayPort: number;
  readonly feedbackPort: number;
  /** Universal certificate for BUNDLE. */
  readonly client: ApnsClientCertificate;
  certificate(options?: {
    bundleId?: string;
    environments?: readonly CertificateEnvironment[];
  }): ApnsClientCertificate;
  close(): Promise<void>;
}

export async function startLegacyFixture(
  environment: CertificateEnvironment = 'development',
): Promise<LegacyFixture> {
  const sim = await startSimulator({ legacyPort: 0, feedbackPort: 0, certificatePort: null, environment });
  const ca = sim.credentials.ca!;
  const certificate: LegacyFixture['certificate'] = (options = {}) =>
    createApnsClientCertificate(ca, {
      bundleId: options.bundleId ?? BUNDLE,
      teamId: TEAM,
      ...(options.environments ? { environments: options.environments } : {}),
    });
  return {
    sim,
    gatewayPort: sim.legacyPort!,
    feedbackPort: sim.feedbackPort!,
    client: certificate(),
    certificate,
    close: () => sim.close(),
  };
}

/** A distinct 64-hex-digit token per index. */
export const tokenOf = (i: number, salt = 'a1'): string =>
  `${i.toString(16).padStart(8, '0')}${salt.repeat(28)}`;

export const randomToken = (): string => randomBytes(32).toString('hex');

export function requestFor(token: string, i = 0): ApnsRequest {
  return {
    token,
    topic: BUNDLE,
    pushType: 'alert',
    apnsId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    payload: JSON.stringify({ aps: { alert: `n${i}` } }),
  };
}

/** A raw mutual-TLS socket to the gateway, connected. */
export async function rawSocket(
  fx: LegacyFixture,
  client = fx.client,
  port = fx.gatewayPort,
): Promise<TLSSocket> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: fx.sim.ca,
    cert: client.certPem,
    key: client.keyPem,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Everything the server sends until it closes, and whether it closed cleanly. */
export function readUntilClosed(socket: TLSSocket, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}
