/**
 * The shape most conformance cases share: connection 0 receives the request(s) and then misbehaves in one
 * precise way; every later connection behaves (answers 200, labelled with its index). What comes back is what
 * the client did about it, in words that read well in a failed `expect`.
 */
import type { Http2PoolOptions } from '../../../index.js';
import { answeredBy, poolFor, type Tracked, track, watchProcess } from './client.js';
import { errorName } from './frames.js';
import {
  type ClientRequest,
  label,
  type RawConnection,
  resets,
  type SettingsEntries,
  serveOk,
  startRawH2Server,
} from './raw-h2-server.js';

export interface FirstConnectionOptions {
  /** Sends made at once (the first goes out before the server's SETTINGS, the others after). @defaultValue 1 */
  readonly requests?: number;
  /** Wait for the requests' END_STREAM (not only their HEADERS) before misbehaving. @defaultValue true */
  readonly ended?: boolean;
  /** The server's SETTINGS on every connection. */
  readonly settings?: SettingsEntries;
  readonly pool?: Partial<Http2PoolOptions>;
  /** Bound on each send settling after the misbehaviour. @defaultValue 3 s */
  readonly settleMs?: number;
}

export interface FirstConnectionResult {
  /** The first GOAWAY the client wrote on connection 0 before the pool was closed: `PROTOCOL_ERROR`... */
  readonly goaway: string;
  /** Per send: `conn-<n>` for the connection whose answer settled it, `failed: <code>`, or `pending`. */
  readonly answeredBy: string[];
  /** Per send: how many times it reached the server, over all connections (2 = re-sent once). */
  readonly copies: number[];
  /** RST_STREAM frames the client wrote on connection 0: `<stream> <code>`. */
  readonly resets: string[];
  /** Uncaught exceptions and unhandled rejections while it ran. */
  readonly uncaught: unknown[];
}

/**
 * Run `act` on connection 0 once its requests arrived and a PING round trip (`sync`) completed; then wait (each
 * bounded) until the client wrote a GOAWAY, closed, or every send settled, and until every send settled.
 */
export async function onFirstConnection(
  act: (connection: RawConnection, requests: ClientRequest[]) => unknown,
  options: FirstConnectionOptions = {},
): Promise<FirstConnectionResult> {
  using watch = watchProcess();
  const n = options.requests ?? 1;
  await using server = await startRawH2Server(
    (connection) => {
      if (connection.index > 0) serveOk(connection);
    },
    options.settings === undefined ? {} : { settings: options.settings },
  );
  await using pool = poolFor(server, options.pool);
  const sent: Tracked[] = Array.from({ length: n }, () => track(pool));
  const first = await server.connection(0);
  const requests = options.ended === false ? await first.streams(n) : await first.ended(n);
  await first.sync();
  await act(first, requests);
  const settleMs = options.settleMs ?? 3_000;
  await first
    .waitFor(
      'GOAWAY, close or settled sends',
      () => (first.goaways.length > 0 || first.closed || sent.every((s) => s.settled) ? true : undefined),
      settleMs,
    )
    .catch(() => undefined);
  await Promise.all(sent.map((s) => s.outcome(settleMs).catch(() => undefined)));
  // Read before close(): a graceful close ends connection 0 with GOAWAY NO_ERROR.
  const goaway = first.goaways[0];
  const result: FirstConnectionResult = {
    goaway: goaway === undefined ? 'no GOAWAY' : errorName(goaway.code),
    answeredBy: sent.map((s) => (s.settled === undefined ? 'pending' : answeredBy(s.settled))),
    copies: sent.map((s) => copiesOf(server.connections, s.request.apnsId)),
    resets: resets(first),
    uncaught: watch.errors,
  };
  await pool.close();
  return { ...result, uncaught: [...watch.errors] };
}

/**
 * An `act` for "this must be a connection error": write `frames` and a probe PING in one write. A client that
 * takes the frames as valid answers the probe; then connection 0 answers every request 200, so the case ends
 * at once (answered by conn-0) instead of waiting out the request timeout.
 */
export const badFrames =
  (...frames: Buffer[]) =>
  async (connection: RawConnection, requests: ClientRequest[]): Promise<void> => {
    const reaction = await connection.reaction(frames);
    if (reaction.kind !== 'ack') return;
    for (const request of requests) connection.respond(request.streamId, 200, label(connection));
  };

/** How many request streams carried `apns-id: <apnsId>`, over `connections`. */
function copiesOf(connections: readonly RawConnection[], apnsId: string | undefined): number {
  let n = 0;
  for (const connection of connections) {
    for (const request of connection.requests.values()) {
      if (request.fields.some(([name, value]) => name === 'apns-id' && value === apnsId)) n++;
    }
  }
  return n;
}
