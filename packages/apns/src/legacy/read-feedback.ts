/**
 * The feedback-service reader (apns-protocol.md A.8): connect with TLS and the app's client certificate,
 * send nothing, read tuples until the server closes.
 *
 *   off  size  field
 *   0    4     timestamp: time_t seconds, when APNs found the app gone from the device
 *   4    2     token length (32 in practice)
 *   6    len   device token
 *
 * The service clears its list once read, so every call returns only what failed since the last one; store
 * the result before doing anything else with it. Before deleting a token, check that it was not registered
 * again after the tuple's timestamp (Apple's advice). A certificate for the other environment is closed
 * at once by Apple and so reads as an empty list.
 */
import { connect, rootCertificates } from 'node:tls';
import { ApnsValidationError, CredentialsError, TransportError } from '../errors.js';
import { FeedbackDecoder, type FeedbackTuple } from './feedback-tuple.js';

/** The feedback service port (A.1). */
export const DEFAULT_FEEDBACK_PORT = 2196;
/** Time for the whole read (connect, TLS, every tuple, EOF) before it fails with TIMEOUT. */
export const DEFAULT_FEEDBACK_TIMEOUT_MS = 30_000;

export interface ReadFeedbackOptions {
  /** e.g. `feedback.sandbox.push.apple.com` or the simulator's `127.0.0.1`. */
  readonly host: string;
  /** @defaultValue {@link DEFAULT_FEEDBACK_PORT} (2196) */
  readonly port?: number | undefined;
  /** Extra trusted CA certificate(s), PEM, added to the system store. @defaultValue the system store only */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** Client certificate, PEM: the same one the gateway takes; its topic selects the list. */
  readonly cert: string | Buffer;
  /** Its private key, PEM. A secret: never logged. */
  readonly key: string | Buffer;
  readonly passphrase?: string | undefined;
  /** TLS server name. @defaultValue `host` unless it is an IP address */
  readonly servername?: string | undefined;
  /** @defaultValue {@link DEFAULT_FEEDBACK_TIMEOUT_MS} (30 s) */
  readonly timeoutMs?: number | undefined;
}

/**
 * Read every tuple the feedback service has for this certificate's topic. Resolves once the server closed
 * the stream; `timestamp` is seconds since the epoch as sent (multiply by 1000 for a JS time).
 * @throws TransportError CONNECT_FAILED (no TLS session), TIMEOUT, PROTOCOL (the stream ended inside a tuple).
 */
export function readFeedback(options: ReadFeedbackOptions): Promise<FeedbackTuple[]> {
  if (typeof options.host !== 'string' || options.host.length === 0) {
    return Promise.reject(new ApnsValidationError('host', 'is required'));
  }
  if (!options.cert || options.cert.length === 0) {
    return Promise.reject(new CredentialsError('cert', 'is required (PEM)'));
  }
  if (!options.key || options.key.length === 0) {
    return Promise.reject(new CredentialsError('key', 'is required (PEM)'));
  }
  const port = options.port ?? DEFAULT_FEEDBACK_PORT;
  const address = `${options.host}:${port}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FEEDBACK_TIMEOUT_MS;
  const isIp = /^[\d.]+$|:/.test(options.host);
  const servername = options.servername ?? (isIp ? undefined : options.host);
  return new Promise((resolve, reject) => {
    const decoder = new FeedbackDecoder();
    const tuples: FeedbackTuple[] = [];
    let connected = false;
    let received = false;
    let done = false;
    const socket = connect({
      host: options.host,
      port,
      cert: options.cert,
      key: options.key,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      ...(options.ca !== undefined
        ? { ca: [...rootCertificates, ...(Array.isArray(options.ca) ? options.ca : [options.ca])] }
        : {}),
      ...(servername !== undefined ? { servername } : {}),
    });
    const finish = (error?: TransportError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(tuples);
    };
    const timer = setTimeout(
      () =>
        finish(new TransportError('TIMEOUT', `feedback service ${address}: no EOF within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      received = true;
      for (const t of decoder.push(chunk)) tuples.push(t);
    });
    socket.on('error', (error) => {
      // TLS 1.3 reports a refused client certificate after secureConnect: no data yet means no session.
      const code = received ? 'PROTOCOL' : 'CONNECT_FAILED';
      finish(new TransportError(code, `feedback service ${address}: ${error.message}`, { cause: error }));
    });
    const atEof = () => {
      if (!connected) {
        finish(
          new TransportError('CONNECT_FAILED', `feedback service ${address}: closed before TLS completed`),
        );
        return;
      }
      try {
        decoder.end();
        finish();
      } catch (error) {
        finish(error as TransportError);
      }
    };
    socket.once('end', atEof);
    socket.once('close', atEof);
  });
}
