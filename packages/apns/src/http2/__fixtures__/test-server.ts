import http2, {
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { selfSignedCertificate, type TestCertificate } from '@pushfleet/credentials/testing';

/** Per-test request handler: `index` is the session's position in connection order (0 = first). */
export type TestHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  body: Buffer,
  session: ServerHttp2Session,
  index: number,
) => void;

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** SETTINGS the server advertises. */
  readonly settings?: Settings;
  /** Ask for and verify a client certificate signed by (or equal to) this PEM. */
  readonly clientCa?: string;
}

/** A real node:http2 TLS server on 127.0.0.1:0 whose handler the test controls. */
export interface TestServer extends AsyncDisposable {
  readonly url: string;
  /** The server certificate, to pass as the client's `ca`. */
  readonly ca: string;
  readonly server: Http2SecureServer;
  /** Every session in connection order. */
  readonly sessions: ServerHttp2Session[];
  /** The raw TLS socket of every connection, in order (to kill one without a GOAWAY). */
  readonly sockets: TLSSocket[];
  close(): Promise<void>;
}

let shared: TestCertificate | undefined;

/** Start a server; the body is read in full before `handler` runs. */
export async function startTestServer(
  handler: TestHandler,
  options: TestServerOptions = {},
): Promise<TestServer> {
  shared ??= selfSignedCertificate();
  const tls = shared;
  const server = http2.createSecureServer({
    cert: tls.cert,
    key: tls.key,
    allowHTTP1: false,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: options.clientCa } : {}),
  });
  const sessions: ServerHttp2Session[] = [];
  const sockets: TLSSocket[] = [];
  server.on('secureConnection', (socket: TLSSocket) => sockets.push(socket));
  server.on('session', (session) => {
    sessions.push(session);
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (stream.destroyed || stream.closed) return;
      const session = stream.session as ServerHttp2Session;
      handler(stream, headers, Buffer.concat(chunks), session, sessions.indexOf(session));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const session of sessions) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `https://127.0.0.1:${port}`,
    ca: tls.cert,
    server,
    sessions,
    sockets,
    close,
    [Symbol.asyncDispose]: close,
  };
}
