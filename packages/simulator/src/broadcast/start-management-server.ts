/**
 * The channel-management API's own listener (Apple: api-manage-broadcast[.sandbox].push.apple.com on 2196/2195),
 * HTTP/2 over TLS 1.2+, ALPN h2 only. Separate from the push ports and from the legacy gateway, which Apple serves
 * on the same port numbers but other hosts [Ours: separate ports, configurable].
 *
 * A connection authenticates per request with a provider token, or once with a client certificate issued by
 * the simulator's CA (offered, not required: curl with only a token works).
 */
import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CertificateIdentityCache } from '../server/certificate-identity.js';
import type { ConnectionCredentials } from '../server/request-validator.js';
import { type TokenAuthConfig, TokenConnectionAuth } from '../server/token-connection-auth.js';
import type { BroadcastService } from './broadcast-service.js';

export interface ManagementServerOptions {
  readonly host: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  /** CAs client certificates may chain to. */
  readonly ca: readonly string[];
  readonly tokenAuth: TokenAuthConfig;
  readonly identities: CertificateIdentityCache;
  readonly service: BroadcastService;
  readonly now: () => number;
}

export interface ManagementServer {
  readonly server: Http2SecureServer;
  readonly port: number;
  close(): Promise<void>;
}

/** Bodies beyond this are counted, not kept (far over any create body). */
const MAX_KEPT_BODY_BYTES = 64 * 1024;

export async function startManagementServer(o: ManagementServerOptions): Promise<ManagementServer> {
  const server = createSecureServer({
    cert: o.cert,
    key: o.key,
    ca: [...o.ca],
    requestCert: true,
    rejectUnauthorized: false,
    allowHTTP1: false,
    minVersion: 'TLSv1.2',
  });
  let connectionId = 1_000_000;
  server.on('sessionError', () => {});
  server.on('tlsClientError', () => {});
  server.on('session', (session) => {
    session.on('error', () => {});
    const socket = session.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerX509Certificate() : undefined;
    const creds: ConnectionCredentials =
      peer === undefined
        ? { kind: 'token', auth: new TokenConnectionAuth(o.tokenAuth) }
        : { kind: 'certificate', identity: o.identities.get(peer) };
    const id = connectionId++;
    const onStream = (stream: ServerHttp2Stream, _h: unknown, _f: number, raw: string[]) =>
      collect(stream, (body, bodyLength) =>
        o.service.answerManagement({ stream, raw, body, bodyLength, creds, connectionId: id, now: o.now() }),
      );
    session.on('stream', onStream as (stream: ServerHttp2Stream) => void);
  });
  server.listen(o.port, o.host);
  await once(server, 'listening');
  const sessions = new Set<import('node:http2').ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.close();
        setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, 1000).unref();
      }),
  };
}

/** Read a stream's body, then hand it over. */
export function collect(stream: ServerHttp2Stream, done: (body: Buffer, length: number) => void): void {
  stream.on('error', () => {});
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_KEPT_BODY_BYTES) chunks.push(chunk);
  });
  stream.on('end', () => done(Buffer.concat(chunks), size));
}
