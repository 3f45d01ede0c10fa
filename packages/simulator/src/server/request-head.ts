/**
 * One pass over a request's raw header list (name, value, name, value, ...) as nghttp2 decoded it,
 * whatever HPACK representation the client chose (Apple's two pages disagree on what to index, so any is
 * legal: docs/protocol/http2-provider-api.md, "HPACK"). Node's header object merges or drops repeated
 * fields, so duplicates are detected here, on the raw list: any field name twice sets `duplicate` (400
 * DuplicateHeaders).
 *
 * Header values arrive as latin1 strings, one character per byte, so `.length` is the byte length.
 */

export interface RequestHead {
  method: string | undefined;
  path: string | undefined;
  authorization: string | undefined;
  apnsId: string | undefined;
  topic: string | undefined;
  pushType: string | undefined;
  priority: string | undefined;
  expiration: string | undefined;
  collapseId: string | undefined;
  duplicate: boolean;
}

type HeadField = Exclude<keyof RequestHead, 'duplicate'>;

/** The fields the server reads, by header name (a Map: a header named `constructor` is just another). */
const FIELDS = new Map<string, HeadField>([
  [':method', 'method'],
  [':path', 'path'],
  ['authorization', 'authorization'],
  ['apns-id', 'apnsId'],
  ['apns-topic', 'topic'],
  ['apns-push-type', 'pushType'],
  ['apns-priority', 'priority'],
  ['apns-expiration', 'expiration'],
  ['apns-collapse-id', 'collapseId'],
]);

export function parseRequestHead(raw: readonly string[]): RequestHead {
  const head: RequestHead = {
    method: undefined,
    path: undefined,
    authorization: undefined,
    apnsId: undefined,
    topic: undefined,
    pushType: undefined,
    priority: undefined,
    expiration: undefined,
    collapseId: undefined,
    duplicate: false,
  };
  let others: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const field = FIELDS.get(name);
    if (field !== undefined) {
      if (head[field] !== undefined) head.duplicate = true;
      head[field] = raw[i + 1]!;
    } else if (others === undefined) others = [name];
    else if (others.includes(name)) head.duplicate = true;
    else others.push(name);
  }
  return head;
}

/** The `apns-*` headers of a raw list, as sent (for the recorder). */
export function apnsHeadersOf(raw: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.startsWith('apns-')) headers[name] = raw[i + 1]!;
  }
  return headers;
}
