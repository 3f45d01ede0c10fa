import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { selfSignedCertificate } from '@pushfleet/credentials/testing';
import { describe, expect, it } from 'vitest';
import { byteByByte } from './__fixtures__/splits.js';
import { bytes, FEEDBACK_TUPLE, FEEDBACK_TUPLE_2, TOKEN } from './__fixtures__/vectors.js';
import { readFeedback } from './read-feedback.js';

const server = selfSignedCertificate('localhost');
const client = selfSignedCertificate('client');

/** A feedback service that runs `serve` on each connection. */
async function withService<T>(
  serve: (socket: TLSSocket) => void,
  run: (port: number) => Promise<T>,
): Promise<T> {
  const tls = createServer(
    { cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: false },
    serve,
  );
  tls.listen(0, '127.0.0.1');
  await once(tls, 'listening');
  try {
    return await run((tls.address() as AddressInfo).port);
  } finally {
    tls.close();
  }
}

const read = (port: number) =>
  readFeedback({
    host: '127.0.0.1',
    port,
    ca: server.cert,
    servername: 'localhost',
    cert: client.cert,
    key: client.key,
  });

describe('readFeedback', () => {
  it('reads tuples written one byte at a time until EOF (doc vectors)', async () => {
    const stream = Buffer.concat([bytes(FEEDBACK_TUPLE), bytes(FEEDBACK_TUPLE_2)]);
    const tuples = await withService(async (socket) => {
      for (const b of byteByByte(stream)) {
        socket.write(b);
        await new Promise((r) => setImmediate(r));
      }
      socket.end();
    }, read);
    expect(tuples).toEqual([
      { timestamp: 1_700_000_000, token: TOKEN },
      { timestamp: 1_600_000_000, token: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20' },
    ]);
  });

  it('an empty list is an empty array', async () => {
    expect(await withService((socket) => socket.end(), read)).toEqual([]);
  });

  it('a stream that ends inside a tuple is a PROTOCOL error', async () => {
    const error = await withService(
      (socket) => socket.end(bytes(FEEDBACK_TUPLE).subarray(0, 20)),
      (port) => read(port).catch((e: unknown) => e),
    );
    expect(error).toMatchObject({ name: 'TransportError', code: 'PROTOCOL' });
  });

  it('a service that never closes: TIMEOUT', async () => {
    const error = await withService(
      () => {},
      (port) =>
        readFeedback({
          host: '127.0.0.1',
          port,
          ca: server.cert,
          servername: 'localhost',
          cert: client.cert,
          key: client.key,
          timeoutMs: 200,
        }).catch((e: unknown) => e),
    );
    expect(error).toMatchObject({ code: 'TIMEOUT' });
  });
});
