/**
 * What the channel-management and broadcast clients share: options checked as for the pool (one origin, token or
 * certificate auth), one {@link RequestSession}, `authorization: bearer` on every request (Apple requires it on
 * each; pushy's PR that sends it once is not copied), an `apns-request-id` sent and read back, and the answer
 * turned into a {@link BroadcastVerdict} from the broadcast reason table. 403 ExpiredProviderToken refreshes the
 * token and goes again once on a new connection: APNs refused the request, so nothing was made.
 */
import { randomUUID } from 'node:crypto';
import { CredentialsError } from '@pushfleet/credentials';
import type { ProviderTokenSource } from '../auth/provider-token-source.js';
import { MAX_EXPIRED_TOKEN_RETRIES } from '../http2/client-options.js';
import { type Http2PoolOptions, resolvePoolOptions } from '../http2/pool-options.js';
import { broadcastActionFor } from './broadcast-reasons.js';
import { type BroadcastVerdict, broadcastOutcomeFor } from './broadcast-types.js';
import { RequestSession, type SessionAnswer, type SessionRequest } from './request-session.js';

/** Options of the channel-management and broadcast clients: the pool's transport options, without its size. */
export type RouteClientOptions = Omit<Http2PoolOptions, 'minSessions' | 'maxSessions' | 'listener'> & {
  /**
   * Allow `auth: { kind: 'certificate' }`. Apple's broadcast pages show certificates, its push-type table and a
   * 2022 answer say Live Activities take tokens only; nobody has shown one working, so it is opt-in.
   * @defaultValue false
   */
  readonly allowCertificate?: boolean | undefined;
};

/** A list of 10,000 channel ids is a few hundred KB; APNSwift reads up to 1 MB. */
const MAX_BODY_BYTES = 1024 * 1024;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface RouteResult {
  readonly verdict: BroadcastVerdict;
  readonly answer: SessionAnswer;
}

export class RouteClient implements AsyncDisposable {
  readonly #session: RequestSession;
  readonly #token: ProviderTokenSource | undefined;

  /** @throws ApnsValidationError or CredentialsError naming the bad option. */
  constructor(options: RouteClientOptions) {
    if (options.auth?.kind === 'certificate' && options.allowCertificate !== true)
      throw new CredentialsError(
        'auth.kind',
        'broadcast and channel management take token auth; pass allowCertificate: true to try a certificate (unconfirmed by Apple)',
      );
    const o = resolvePoolOptions(options);
    this.#token = o.token;
    this.#session = new RequestSession({
      host: o.host,
      port: o.port,
      authority: o.host,
      tls: o.tls,
      requestTimeoutMs: o.requestTimeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      pingIntervalMs: o.pingIntervalMs,
      pingTimeoutMs: o.pingTimeoutMs,
      reconnectMaxDelayMs: o.reconnectMaxDelayMs,
      maxBodyBytes: MAX_BODY_BYTES,
    });
  }

  /** One request; rejects with TransportError only when no answer came. */
  async send(
    request: Omit<SessionRequest, 'headers'> & { readonly headers?: readonly (readonly [string, string])[] },
    requestId: string = randomUUID(),
  ): Promise<RouteResult> {
    for (let jwtRetries = 0; ; jwtRetries++) {
      const bearer = this.#token?.bearer();
      const headers: (readonly [string, string])[] = [];
      if (bearer !== undefined) headers.push(['authorization', bearer]);
      headers.push(['apns-request-id', requestId], ...(request.headers ?? []));
      const answer = await this.#session.request({ ...request, headers });
      const verdict = verdictOf(answer, requestId);
      if (
        verdict.reason === 'ExpiredProviderToken' &&
        bearer !== undefined &&
        jwtRetries < MAX_EXPIRED_TOKEN_RETRIES
      ) {
        this.#token?.refreshAfterRejection(bearer);
        this.#session.recycle();
        continue;
      }
      return { verdict, answer };
    }
  }

  close(): Promise<void> {
    return this.#session.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The verdict of an answer: 2xx is `ok`; otherwise `{reason}` from the JSON body, classified by the table. */
export function verdictOf(answer: SessionAnswer, sentRequestId: string): BroadcastVerdict {
  const { status, headers } = answer;
  const v: Mutable<BroadcastVerdict> = {
    outcome: 'ok',
    action: undefined,
    status,
    requestId: headers['apns-request-id'] ?? sentRequestId,
  };
  if (headers['apns-unique-id'] !== undefined) v.uniqueId = headers['apns-unique-id'];
  if (headers['apns-channel-id'] !== undefined) v.channelId = headers['apns-channel-id'];
  // Node's HTTP/2 and ours give header names in lower case: node-apn's 'Retry-After' lookup never matches.
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) v.retryAfterMs = Number(retryAfter) * 1000;
  if (status >= 200 && status < 300) return v;
  const reason = reasonOf(answer.body);
  if (reason !== undefined) v.reason = reason;
  v.action = broadcastActionFor(status, reason);
  v.outcome = broadcastOutcomeFor(v.action);
  return v;
}

function reasonOf(body: Buffer | undefined): string | undefined {
  if (body === undefined || body.length === 0) return undefined;
  try {
    const reason = (JSON.parse(body.toString('utf8')) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}
