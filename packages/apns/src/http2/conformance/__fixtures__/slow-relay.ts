import {
  type AddressInfo,
  connect as connectTcp,
  createServer as createTcpServer,
  type Socket,
} from 'node:net';
import type { RawH2Server } from './raw-h2-server.js';

/**
 * A TCP relay to `target` that holds each connection `delayMs` before relaying it: a connection (TLS handshake
 * included) that takes that long to come up. Same `url` shape and `ca` as the target.
 */
export async function startSlowRelay(target: RawH2Server, delayMs: number): Promise<RawH2Server> {
  const { port: targetPort } = new URL(target.url);
  const sockets = new Set<Socket>();
  const relay = createTcpServer((inbound) => {
    inbound.pause();
    sockets.add(inbound);
    const timer = setTimeout(() => {
      const outbound = connectTcp(Number(targetPort), '127.0.0.1');
      sockets.add(outbound);
      outbound.on('error', () => inbound.destroy());
      inbound.on('error', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
      inbound.on('close', () => outbound.destroy());
      inbound.pipe(outbound).pipe(inbound);
      inbound.resume();
    }, delayMs);
    inbound.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as AddressInfo;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  };
  return { ...target, url: `https://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
