/**
 * The feedback-service reader: connect with TLS and the app's client certificate,
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
import { connect } from 'node:tls';
import type { ClientCertificate, TlsEndpointOptions } from '@pushfleet/apns';
import { TransportError } from '@pushfleet/apns';
import { checkHost, checkPort, clientTls, durationMs } from '@pushfleet/apns/connection-options';
import { FeedbackDecoder, type FeedbackTuple } from './feedback-tuple.js';

/** The port of Apple's feedback service (feedback.push.apple.com). */
export const DEFAULT_FEEDBACK_PORT = 2196;
/** Time for the whole read (connect, TLS, every tuple, EOF) before it fails with TIMEOUT. */
export const DEFAULT_FEEDBACK_TIMEOUT_MS = 30_000;

/** Where the service is (`port` defaults to {@link DEFAULT_FEEDBACK_PORT}, 2196) and the app's certificate. */
export interface ReadFeedbackOptions extends TlsEndpointOptions, ClientCertificate {
  /** @defaultValue {@link DEFAULT_FEEDBACK_TIMEOUT_MS} (30 s) */
  readonly timeoutMs?: number | undefined;
}

/**
 * Read every tuple the feedback service has for this certificate's topic. Resolves once the server closed
 * the stream; `timestamp` is seconds since the epoch as sent (multiply by 1000 for a JS time).
 * Rejects with ApnsValidationError or CredentialsError naming a bad option, or with TransportError
 * CONNECT_FAILED (no TLS session), TIMEOUT, PROTOCOL (the stream ended inside a tuple).
 */
export async function readFeedback(options: ReadFeedbackOptions): Promise<FeedbackTuple[]> {
  const host = checkHost('host', options.host);
  const port = checkPort('port', options.port, DEFAULT_FEEDBACK_PORT);
  const timeoutMs = durationMs('timeoutMs', options.timeoutMs, DEFAULT_FEEDBACK_TIMEOUT_MS);
  const tls = clientTls(host, options, options);
  const address = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const decoder = new FeedbackDecoder();
    const tuples: FeedbackTuple[] = [];
    let connected = false;
    let received = false;
    let done = false;
    const socket = connect({ host, port, ...tls });
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
