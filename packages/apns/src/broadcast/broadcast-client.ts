/**
 * Broadcast push (docs/protocol/broadcast.md E.3): one request reaches every Live Activity subscribed to a
 * channel. It goes to the ordinary push host (`api[.sandbox].push.apple.com:443`) on a connection of its own:
 *
 *   POST /4/broadcasts/apps/<bundle>
 *   apns-channel-id <id>, apns-push-type liveactivity, apns-expiration <s> (always: APNs answers BadExpirationDate
 *   without it; node-apn leaves it out by default), apns-priority <10|5|1> (always), apns-request-id <uuid>
 *   DATA the JSON payload, at most 5120 bytes
 *
 * No `apns-topic` (the bundle id is in the path) and no `apns-id` (Apple's pages disagree on what it does here).
 * The verdict keeps `apns-request-id` and `apns-unique-id`, the id to quote to Apple. A broadcast is not
 * idempotent: TransportError (no answer) is the caller's to retry; devices show the newest `timestamp`, so a
 * repeat of the same payload is tolerable.
 */
import { ApnsValidationError } from '../errors.js';
import {
  BROADCAST_PUSH_TYPE,
  type BroadcastRequest,
  type BroadcastVerdict,
  MAX_BROADCAST_PAYLOAD_BYTES,
} from './broadcast-types.js';
import { bundlePath } from './channel-client.js';
import { RouteClient, type RouteClientOptions } from './route-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class BroadcastClient implements AsyncDisposable {
  readonly #route: RouteClient;

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: RouteClientOptions) {
    this.#route = new RouteClient(options);
  }

  /**
   * Resolves with APNs' verdict (any status); rejects with TransportError only when no answer came.
   * @throws ApnsValidationError naming the field, before anything is sent.
   */
  async send(request: BroadcastRequest): Promise<BroadcastVerdict> {
    const headers = broadcastHeaders(request);
    const body = checkPayload(request.payload);
    const path = `/4/broadcasts/apps/${bundlePath(request.bundleId)}`;
    const { verdict } = await this.#route.send({ method: 'POST', path, headers, body }, request.requestId);
    return verdict;
  }

  /** Let open requests finish, then close the connection. Idempotent. */
  close(): Promise<void> {
    return this.#route.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function broadcastHeaders(r: BroadcastRequest): [string, string][] {
  if (typeof r.channelId !== 'string' || r.channelId.length === 0)
    throw new ApnsValidationError('channelId', 'is required');
  const expiration = r.expiration ?? 0;
  if (!Number.isInteger(expiration) || expiration < 0)
    throw new ApnsValidationError(
      'expiration',
      `must be UNIX seconds ≥ 0 (0 for a No-Message-Stored channel), got ${String(expiration)}`,
    );
  const priority = r.priority ?? 10;
  if (priority !== 10 && priority !== 5 && priority !== 1)
    throw new ApnsValidationError('priority', `must be 10, 5 or 1, got ${String(priority)}`);
  if (r.requestId !== undefined && !UUID.test(r.requestId))
    throw new ApnsValidationError('requestId', 'must be a canonical lowercase UUID');
  return [
    ['apns-channel-id', r.channelId],
    ['apns-push-type', BROADCAST_PUSH_TYPE],
    ['apns-expiration', String(expiration)],
    ['apns-priority', String(priority)],
  ];
}

function checkPayload(payload: string | Buffer): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (bytes.length === 0) throw new ApnsValidationError('payload', 'is empty');
  if (bytes.length > MAX_BROADCAST_PAYLOAD_BYTES)
    throw new ApnsValidationError(
      'payload',
      `is ${bytes.length} bytes, over the broadcast limit of ${MAX_BROADCAST_PAYLOAD_BYTES}`,
    );
  return bytes;
}
