/**
 * One pass over the raw header list of a broadcast or channel-management request (name, value, ...), as
 * request-head.ts does for `/3/device`: the fields these routes read, and `duplicate` when any field name comes
 * twice (400 DuplicateHeaders). Values are latin1 strings, one character per byte.
 */

export interface BroadcastHead {
  method: string | undefined;
  path: string | undefined;
  authorization: string | undefined;
  requestId: string | undefined;
  apnsId: string | undefined;
  channelId: string | undefined;
  pushType: string | undefined;
  priority: string | undefined;
  expiration: string | undefined;
  topic: string | undefined;
  duplicate: boolean;
}

type HeadField = Exclude<keyof BroadcastHead, 'duplicate'>;

const FIELDS = new Map<string, HeadField>([
  [':method', 'method'],
  [':path', 'path'],
  ['authorization', 'authorization'],
  ['apns-request-id', 'requestId'],
  ['apns-id', 'apnsId'],
  ['apns-channel-id', 'channelId'],
  ['apns-push-type', 'pushType'],
  ['apns-priority', 'priority'],
  ['apns-expiration', 'expiration'],
  ['apns-topic', 'topic'],
]);

export function parseBroadcastHead(raw: readonly string[]): BroadcastHead {
  const head: BroadcastHead = {
    method: undefined,
    path: undefined,
    authorization: undefined,
    requestId: undefined,
    apnsId: undefined,
    channelId: undefined,
    pushType: undefined,
    priority: undefined,
    expiration: undefined,
    topic: undefined,
    duplicate: false,
  };
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (seen.has(name)) head.duplicate = true;
    seen.add(name);
    const field = FIELDS.get(name);
    if (field !== undefined) head[field] = raw[i + 1]!;
  }
  return head;
}

/** Standard base64, padded, at most 256 characters: anything else is 400 BadChannelId [Ours]. */
export function isChannelId(id: string): boolean {
  return id.length > 0 && id.length <= 256 && id.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(id);
}
