/**
 * The TLS server both legacy services run on (gateway and feedback): mutual TLS with the given options,
 * every socket tracked so `dropConnections()` and `close()` can end them, handshake failures ignored (the
 * client sees them), `close()` idempotent.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket, type TlsOptions } from 'node:tls';

export interface TlsService {
  /** `tls://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Connections open now. */
  readonly connectionCount: number;
  /** Destroy every open connection at once (no error packet); keep listening. */
  dropConnections(): void;
  /** Stop listening and destroy every connection. Idempotent. */
  close(): Promise<void>;
}

export async function startTlsService(
  serverOptions: TlsOptions,
  host: string,
  port: number,
  onSocket: (socket: TLSSocket) => void,
): Promise<TlsService> {
  const sockets = new Set<TLSSocket>();
  const server = createServer(serverOptions, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  server.on('tlsClientError', () => {});
  server.listen(port, host);
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropConnections();
      await closed;
    })());
  return {
    url: `tls://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    get connectionCount() {
      return sockets.size;
    },
    dropConnections,
    close,
  };
}
