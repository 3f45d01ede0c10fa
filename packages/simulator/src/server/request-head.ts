/**
 * One pass over a request's raw header list (name, value, name, value, ...) as nghttp2 decoded it,
 * whatever HPACK representation the client chose (apns-protocol.md B.3). Node's header object merges or
 * drops repeated fields, so duplicates are detected here, on the raw list: any field name twice sets
 * `duplicate` (400 DuplicateHeaders).
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
    const value = raw[i + 1]!;
    let previous: string | undefined;
    switch (name) {
      case ':method':
        previous = head.method;
        head.method = value;
        break;
      case ':path':
        previous = head.path;
        head.path = value;
        break;
      case 'authorization':
        previous = head.authorization;
        head.authorization = value;
        break;
      case 'apns-id':
        previous = head.apnsId;
        head.apnsId = value;
        break;
      case 'apns-topic':
        previous = head.topic;
        head.topic = value;
        break;
      case 'apns-push-type':
        previous = head.pushType;
        head.pushType = value;
        break;
      case 'apns-priority':
        previous = head.priority;
        head.priority = value;
        break;
      case 'apns-expiration':
        previous = head.expiration;
        head.expiration = value;
        break;
      case 'apns-collapse-id':
        previous = head.collapseId;
        head.collapseId = value;
        break;
      default:
        if (others === undefined) others = [name];
        else if (others.includes(name)) head.duplicate = true;
        else others.push(name);
        continue;
    }
    if (previous !== undefined) head.duplicate = true;
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
