/**
 * A scriptable legacy gateway for the client's unit tests (the real one is the simulator's, which
 * `packages/apns` may not import): TLS with a self-signed certificate, frames decoded with FrameDecoder,
 * and a per-test `onFrame` hook that decides what the gateway does after each notification.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { selfSignedCertificate, type TestCertificate } from '@pushfleet/credentials/testing';
import { type DecodedNotification, FrameDecoder } from '../frame-decoder.js';

export interface FakeGatewayConnection {
  readonly id: number;
  readonly socket: TLSSocket;
  /** Notifications read on this connection, in order. */
  readonly frames: DecodedNotification[];
}

export type FrameHook = (frame: DecodedNotification, connection: FakeGatewayConnection) => void;

export interface FakeGateway extends AsyncDisposable {
  readonly port: number;
  readonly ca: string;
  readonly client: TestCertificate;
  readonly connections: FakeGatewayConnection[];
  /** Every notification read, across connections. */
  readonly frames: DecodedNotification[];
  onFrame: FrameHook | undefined;
  /** What to do when a connection arrives (default: serve it). */
  onConnection: ((socket: TLSSocket) => boolean) | undefined;
  close(): Promise<void>;
}

const server = selfSignedCertificate('localhost');
const client = selfSignedCertificate('client');

export async function startFakeGateway(): Promise<FakeGateway> {
  const connections: FakeGatewayConnection[] = [];
  const frames: DecodedNotification[] = [];
  const tls = createServer(
    { cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: false },
    (socket) => {
      socket.on('error', () => {});
      if (gateway.onConnection && !gateway.onConnection(socket)) return;
      const connection: FakeGatewayConnection = { id: connections.length + 1, socket, frames: [] };
      connections.push(connection);
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const event of decoder.push(chunk)) {
          if (event.kind !== 'notification' || socket.writableEnded || socket.destroyed) return;
          connection.frames.push(event);
          frames.push(event);
          gateway.onFrame?.(event, connection);
        }
      });
    },
  );
  tls.listen(0, '127.0.0.1');
  await once(tls, 'listening');
  const close = () =>
    new Promise<void>((resolve) => {
      for (const c of connections) c.socket.destroy();
      tls.close(() => resolve());
    });
  const gateway: FakeGateway = {
    port: (tls.address() as AddressInfo).port,
    ca: server.cert,
    client,
    connections,
    frames,
    onFrame: undefined,
    onConnection: undefined,
    close,
    [Symbol.asyncDispose]: close,
  };
  return gateway;
}
