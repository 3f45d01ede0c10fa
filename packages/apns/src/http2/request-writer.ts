/**
 * The APNs request as an HTTP/2 header block (Apple, "Sending notification requests to APNs"):
 *
 *   :method POST, :scheme https                  static-table indexes (RFC 7541 Appendix A)
 *   :authority, authorization bearer <jwt>,      literal with incremental indexing the first time, then one
 *   apns-topic, apns-push-type, apns-priority    indexed byte a request while they stay the same
 *   :path /3/device/<device token as hex>        literal without indexing (one per device)
 *   apns-id, apns-expiration, apns-collapse-id   literal without indexing (one per request)
 *
 * Apple's "Sending notification requests to APNs" asks for `:path` and `apns-id` without indexing; its
 * "Establishing a token-based connection to APNs" allows indexing `authorization`, which saves ~200 bytes a
 * request (a token lives up to an hour). The indexed part is precomputed by the connection's HpackEncoder
 * (`prefix`) and copied per request.
 */
import type { HeaderBlock, HeaderPrefix, HpackEncoder } from '@pushfleet/h2';
import { literalLength, writeLiteral, writePath } from '@pushfleet/h2';
import type { ApnsRequest } from '../types.js';
import type { PoolRequest } from './pool-request.js';

const PATH_PREFIX = '/3/device/';
const PRIORITY_TEXT: Record<number, string> = { 10: '10', 5: '5', 1: '1' };

/**
 * Encodes one request at a time: `prepare` it for a connection's encoder, then hand the writer to that
 * connection's `request()`, which reserves `maxLength` bytes and calls `writeTo`. One writer serves a whole pool
 * (everything between the two calls is synchronous).
 */
export class ApnsRequestWriter implements HeaderBlock {
  readonly #authority: string;
  #request: ApnsRequest | undefined;
  #prefix: HeaderPrefix | undefined;
  #expiration: string | undefined;
  maxLength = 0;
  /**
   * The indexed headers of the last request, kept while the next ones repeat their values (a job's
   * notifications share them): building the list for each request was ~130 bytes of garbage per request.
   */
  #indexed: [string, string][] = [];
  #bearer: string | undefined;
  #topic = '';
  #pushType = '';
  #priority: number | undefined;

  /** @param authority `:authority`, the origin's host[:port]. */
  constructor(authority: string) {
    this.#authority = authority;
  }

  /** Get ready to write `pending` with `bearer` (token auth) through `encoder`; resets its answer. */
  prepare(pending: PoolRequest, bearer: string | undefined, encoder: HpackEncoder): this {
    const r = pending.request;
    pending.bearer = bearer;
    pending.apnsId = undefined;
    pending.retryAfter = undefined;
    pending.uniqueId = undefined;
    const prefix = encoder.prefix(this.#authority, this.#indexedFor(r, bearer));
    const expiration = r.expiration === undefined ? undefined : String(r.expiration);
    // `:path` is 1 byte of name index, at most 3 of length (paths under 16 KiB), then the octets.
    let length = prefix.bytes.length + 3 + PATH_PREFIX.length + r.token.length;
    if (expiration !== undefined) length += literalLength('apns-expiration', expiration);
    // A UTF-8 collapse id takes up to 3 octets per UTF-16 unit.
    if (r.collapseId !== undefined) length += literalLength('apns-collapse-id', r.collapseId) * 3;
    if (r.apnsId !== undefined) length += literalLength('apns-id', r.apnsId);
    this.#request = r;
    this.#prefix = prefix;
    this.#expiration = expiration;
    this.maxLength = length;
    return this;
  }

  /** The headers `encoder.prefix` indexes for `r`: the last list again while its values repeat. */
  #indexedFor(r: ApnsRequest, bearer: string | undefined): readonly (readonly [string, string])[] {
    if (
      bearer === this.#bearer &&
      r.topic === this.#topic &&
      r.pushType === this.#pushType &&
      r.priority === this.#priority &&
      this.#indexed.length > 0
    )
      return this.#indexed;
    const indexed: [string, string][] = [];
    if (bearer !== undefined) indexed.push(['authorization', bearer]);
    indexed.push(['apns-topic', r.topic], ['apns-push-type', r.pushType]);
    if (r.priority !== undefined) {
      indexed.push(['apns-priority', PRIORITY_TEXT[r.priority] ?? String(r.priority)]);
    }
    this.#indexed = indexed;
    this.#bearer = bearer;
    this.#topic = r.topic;
    this.#pushType = r.pushType;
    this.#priority = r.priority;
    return indexed;
  }

  writeTo(out: Buffer, offset: number): number {
    const r = this.#request!;
    const prefix = this.#prefix!;
    let o = offset;
    // Every pseudo-header comes before the first regular one (RFC 9113 §8.3): `:path` goes between them.
    out.set(prefix.head, o);
    o = writePath(out, o + prefix.head.length, PATH_PREFIX, r.token);
    out.set(prefix.tail, o);
    o += prefix.tail.length;
    if (r.apnsId !== undefined) o = writeLiteral(out, o, 'apns-id', r.apnsId);
    if (this.#expiration !== undefined) o = writeLiteral(out, o, 'apns-expiration', this.#expiration);
    if (r.collapseId !== undefined) {
      // Collapse ids are UTF-8 (≤ 64 bytes): write the octets.
      o = writeLiteral(out, o, 'apns-collapse-id', Buffer.from(r.collapseId, 'utf8').toString('latin1'));
    }
    this.#request = undefined;
    this.#prefix = undefined;
    return o;
  }
}
