/**
 * RFC 9113 10.5: a PING flood from a server that does not read the ACKs. The client must not buffer ACKs
 * without bound: it stops reading until its writes drain, or ends the connection (ENHANCE_YOUR_CALM).
 *
 * Memory of the process is a poor witness here (the kernel absorbs some of the ACKs, the same process holds the
 * server), so this file records the client's TLS sockets as `node:tls` makes them and watches what the client
 * has queued on its own socket (`writableLength`) while the flood is read. Nothing else about the client is
 * touched.
 */
import type * as Tls from 'node:tls';
import { describe, expect, it, vi } from 'vitest';
import { answeredBy, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { pingFrame } from './__fixtures__/frames.js';
import { label, startRawH2Server } from './__fixtures__/raw-h2-server.js';

const clientSockets = vi.hoisted(() => [] as Tls.TLSSocket[]);

vi.mock('node:tls', async (importOriginal) => {
  const tls = await importOriginal<typeof Tls>();
  const connect = ((...args: Parameters<typeof tls.connect>) => {
    const socket = tls.connect(...args);
    clientSockets.push(socket);
    return socket;
  }) as typeof tls.connect;
  return { ...tls, connect, default: { ...tls, connect } };
});

/** PING bytes written while the server reads nothing: well over what the kernel buffers on the way back. */
const FLOOD = 16 << 20;
/** What the client may queue meanwhile; over 10 MiB would mean nearly every ACK the kernel did not take. */
const BACKLOG = 4 << 20;

describe('RFC 9113 10.5 PING flood', () => {
  // The verdict rests on bytes, not time: the case runs until the client has read the whole flood (then its
  // backlog shows whether it bounded it), closed the connection, or paused its socket (backpressure); 30 s is
  // only a bound for a machine too loaded to get there.
  it.fails('10.5: a PING flood whose ACKs the server does not read is not buffered without bound', {
    timeout: 60_000,
  }, async () => {
    // Today: the client keeps reading regardless of its write backlog, and queues every ACK on its socket.
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      c.onRequest = (r) => c.respond(r.streamId, 200, label(c));
    });
    await using pool = poolFor(server);
    expect(answeredBy(await track(pool).outcome())).toBe(label(0));
    const connection = await server.connection(0);
    await connection.sync();
    const client = clientSockets.at(-1)!;
    expect(client.remotePort).toBe(connection.socket.localPort);

    connection.socket.pause();
    connection.socket.write(Buffer.concat(Array.from({ length: Math.ceil(FLOOD / 17) }, () => pingFrame())));
    let backlog = 0;
    const ended = await connection
      .waitFor(
        'flood read, close, or a paused client',
        () => {
          backlog = Math.max(backlog, client.writableLength);
          if (connection.closed || client.destroyed) return 'closed';
          if (client.readableFlowing === false) return 'paused';
          return connection.socket.writableLength === 0 ? 'read it all' : undefined;
        },
        30_000,
      )
      .catch(() => 'bound reached');
    connection.destroy();
    if (ended !== 'closed' && ended !== 'paused') expect(backlog).toBeLessThan(BACKLOG);
    expect(watch.errors).toEqual([]);
  });
});
