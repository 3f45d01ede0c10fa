/**
 * A bare node:http2 client for the simulator's tests: connect with the simulator's CA (and optionally a
 * client certificate), send one request, collect status, headers and body.
 */
import { once } from 'node:events';
import {
  type ClientHttp2Session,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';

export interface ConnectOptions {
  readonly ca: string;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export async function connectTo(url: string, options: ConnectOptions): Promise<ClientHttp2Session> {
  const session = connect(url, { ca: options.ca, cert: options.cert, key: options.key });
  session.on('error', () => {});
  await Promise.race([
    once(session, 'remoteSettings'),
    once(session, 'error').then(([e]) => Promise.reject(e)),
    once(session, 'close').then(() => Promise.reject(new Error('connection closed before SETTINGS'))),
  ]);
  return session;
}

export interface TestRequest {
  readonly method?: string | undefined;
  /** Device token; builds `:path` /3/device/<token>. */
  readonly token?: string | undefined;
  /** Overrides the path built from `token`. */
  readonly path?: string | undefined;
  readonly headers?: OutgoingHttpHeaders | undefined;
  readonly body?: string | Buffer | undefined;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `reason` of a JSON error body. */
  readonly reason: string | undefined;
  readonly timestamp: number | undefined;
}

export const TOKEN = 'a1'.repeat(32);
export const PAYLOAD = '{"aps":{"alert":"hello"}}';

export function send(session: ClientHttp2Session, request: TestRequest = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const method = request.method ?? 'POST';
    const stream = session.request({
      ':method': method,
      ':path': request.path ?? `/3/device/${request.token ?? TOKEN}`,
      ...request.headers,
    });
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const json = body.length > 0 ? (JSON.parse(body) as { reason?: string; timestamp?: number }) : {};
      resolve({
        status: Number(headers[':status']),
        headers,
        body,
        reason: json.reason,
        timestamp: json.timestamp,
      });
    });
    if (method === 'GET' || method === 'HEAD' || method === 'DELETE') stream.end();
    else stream.end(request.body ?? PAYLOAD);
  });
}

export function closeSession(session: ClientHttp2Session): Promise<void> {
  if (session.closed || session.destroyed) return Promise.resolve();
  return new Promise((resolve) => session.close(() => resolve()));
}
