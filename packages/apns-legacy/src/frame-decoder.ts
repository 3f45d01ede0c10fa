/**
 * Streaming decoder of commands 0, 1 and 2 as the SERVER sees them (the simulator's legacy gateway).
 * Layouts (big-endian; docs/protocol/legacy-binary.md):
 *
 *   command 0:  00 | tlen:2 | token | plen:2 | payload
 *   command 1:  01 | id:4 | expiry:4 | tlen:2 | token | plen:2 | payload
 *   command 2:  02 | L:4 | items, each  item-id:1 | len:2 | data
 *               1 token (32)   2 payload (1..max)   3 identifier (4)   4 expiration (4)   5 priority (1: 5|10)
 *
 * Chunks may split anywhere. Items of command 2 may come in any order; each may appear at most once; 1 and 2
 * are required. Defaults when absent: identifier 0 (our choice: Apple does not say), expiry 0, priority 10.
 *
 * Faults, with the status byte the server answers (Apple's status table; which faults get 128 is ours,
 * Apple does not say):
 *   2 missing token (token length 0, or no item 1)     4 missing payload (length 0, or no item 2)
 *   5 token length not 32                              7 payload over the limit
 *   128 unknown command byte, unknown/duplicate item, wrong identifier/expiry/priority item size, priority
 *       not 5 or 10, an item overrunning the frame
 * The identifier reported is the frame's own (for command 2, item 3 wherever it sits in the frame), else 0.
 * A command-2 frame of up to 56 + 65535 bytes (anything with legally shaped items) is read whole before it
 * is judged; a longer one is judged from its item headers as they arrive (identifier: item 3 if it came
 * first, else 0), so a bogus length cannot make the server buffer without bound.
 *
 * After the first fault the decoder is failed: Apple answers once and closes, and the simulator ignores
 * every later byte, so later pushes return nothing. Command 0 has no error response on Apple's side: on a
 * fault with `command: 0`, a faithful server just closes.
 */
import { MAX_LEGACY_PAYLOAD_BYTES } from '@pushfleet/apns';
import { ByteQueue } from './byte-queue.js';
import { checkPayloadLimit } from './validation.js';
import { LEGACY_ITEMS, LEGACY_TOKEN_BYTES } from './wire.js';

/** Status bytes this decoder can report. */
export const FRAME_FAULT_STATUS = {
  missingToken: 2,
  missingPayload: 4,
  invalidTokenSize: 5,
  invalidPayloadSize: 7,
  protocolError: 128,
} as const;
export type FrameFaultStatus = (typeof FRAME_FAULT_STATUS)[keyof typeof FRAME_FAULT_STATUS];

export interface DecodedNotification {
  readonly kind: 'notification';
  readonly command: 0 | 1 | 2;
  /** Big-endian reading of the 4 identifier bytes; 0 for command 0 and for command 2 without item 3. */
  readonly identifier: number;
  /** The identifier bytes as sent (echo these in an error response). */
  readonly identifierBytes: Buffer;
  readonly expiry: number;
  readonly priority: number;
  /** Device token, lowercase hex. */
  readonly token: string;
  /** The payload bytes (a copy). */
  readonly payload: Buffer;
}

export interface DecodeFault {
  readonly kind: 'error';
  /** The command byte of the faulty notification. */
  readonly command: number;
  readonly status: FrameFaultStatus;
  readonly identifier: number;
  readonly identifierBytes: Buffer;
  /** What was wrong, for logs. */
  readonly problem: string;
}

export type FrameDecoderEvent = DecodedNotification | DecodeFault;

export interface FrameDecoderOptions {
  /** Payload limit; longer payloads are status 7. @defaultValue 2048 */
  readonly maxPayloadBytes?: number | undefined;
}

const NO_ID = Buffer.alloc(4);
/** 35 (token item) + 3 + 65535 (largest payload item) + 7 + 7 + 4. */
const MAX_SHAPED_FRAME = 56 + 0xffff;
const NEED_MORE = null;

export class FrameDecoder {
  private readonly queue = new ByteQueue(8192);
  private readonly maxPayload: number;
  private failed_ = false;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxPayload = checkPayloadLimit(options.maxPayloadBytes ?? MAX_LEGACY_PAYLOAD_BYTES);
  }

  /** True once a fault was reported; further input is ignored. */
  get failed(): boolean {
    return this.failed_;
  }

  /** Bytes of an incomplete notification held back. */
  get pendingBytes(): number {
    return this.queue.length;
  }

  /** The notifications (and at most one fault, last) completed by this chunk. */
  push(chunk: Uint8Array): FrameDecoderEvent[] {
    if (this.failed_) return [];
    const q = this.queue;
    q.append(chunk);
    const out: FrameDecoderEvent[] = [];
    while (q.length > 0) {
      const r = this.parse(q.buf, q.start, q.end);
      if (r === NEED_MORE) break;
      out.push(r.event);
      if (r.event.kind === 'error') {
        this.failed_ = true;
        q.clear();
        break;
      }
      q.consume(r.size);
    }
    return out;
  }

  private parse(b: Buffer, s: number, e: number): { event: FrameDecoderEvent; size: number } | null {
    switch (b[s]) {
      case 0:
        return this.parseFixed(b, s, e, 0, 1);
      case 1:
        return this.parseFixed(b, s, e, 1, 9);
      case 2:
        return this.parseFramed(b, s, e);
      default:
        return fault(b[s]!, 128, NO_ID, `unknown command byte ${b[s]}`);
    }
  }

  /** Commands 0 and 1: `head` bytes before the token length. */
  private parseFixed(b: Buffer, s: number, e: number, command: 0 | 1, head: number) {
    const idBytes = command === 1 ? b.subarray(s + 1, s + 5) : NO_ID;
    if (e - s < head + 2) return NEED_MORE;
    const tlen = b.readUInt16BE(s + head);
    if (tlen === 0) return fault(command, 2, idBytes, 'token length is 0');
    if (tlen !== LEGACY_TOKEN_BYTES) return fault(command, 5, idBytes, `token length ${tlen}, not 32`);
    const plenAt = s + head + 2 + tlen;
    if (e < plenAt + 2) return NEED_MORE;
    const plen = b.readUInt16BE(plenAt);
    const bad = this.payloadFault(plen);
    if (bad) return fault(command, bad, idBytes, `payload length ${plen}`);
    const size = plenAt + 2 + plen - s;
    if (e - s < size) return NEED_MORE;
    const event: DecodedNotification = {
      kind: 'notification',
      command,
      identifier: idBytes.readUInt32BE(0),
      identifierBytes: Buffer.from(idBytes),
      expiry: command === 1 ? b.readUInt32BE(s + 5) : 0,
      priority: 10,
      token: b.toString('hex', s + head + 2, plenAt),
      payload: Buffer.from(b.subarray(plenAt + 2, plenAt + 2 + plen)),
    };
    return { event, size };
  }

  private parseFramed(b: Buffer, s: number, e: number) {
    if (e - s < 5) return NEED_MORE;
    const len = b.readUInt32BE(s + 1);
    const frameEnd = s + 5 + len;
    // Any frame whose items have legal shapes fits in 56 + 65535 bytes (payload length is 2 bytes): such a
    // frame is read whole, so the identifier is found wherever item 3 sits, however the bytes were split.
    const plausible = len <= MAX_SHAPED_FRAME;
    if (plausible && e < frameEnd) return NEED_MORE;
    const at = { token: -1, payload: -1, id: -1, expiry: -1, priority: -1 };
    let p = s + 5;
    let problem: [FrameFaultStatus, string] | undefined;
    while (p < frameEnd) {
      if (p + 3 > frameEnd) {
        problem = [128, 'trailing bytes shorter than an item header'];
        break;
      }
      if (p + 3 > e) return NEED_MORE;
      const item = b[p]!;
      const size = b.readUInt16BE(p + 1);
      problem = this.itemFault(item, size, at);
      if (problem) break;
      if (p + 3 + size > frameEnd) {
        problem = [128, `item ${item} overruns the frame`];
        break;
      }
      if (p + 3 + size > e) return NEED_MORE;
      if (item === LEGACY_ITEMS.priority && b[p + 3] !== 10 && b[p + 3] !== 5) {
        problem = [128, `priority ${b[p + 3]}`];
        break;
      }
      at[ITEM_KEYS[item]!] = p + 3;
      p += 3 + size;
    }
    if (!problem && at.token < 0) problem = [2, 'no token item'];
    if (!problem && at.payload < 0) problem = [4, 'no payload item'];
    if (problem) {
      const idAt = plausible ? findIdentifier(b, s + 5, frameEnd) : at.id;
      return fault(2, problem[0], idAt < 0 ? NO_ID : b.subarray(idAt, idAt + 4), problem[1]);
    }
    const idBytes = at.id < 0 ? NO_ID : b.subarray(at.id, at.id + 4);
    const plen = b.readUInt16BE(at.payload - 2);
    const event: DecodedNotification = {
      kind: 'notification',
      command: 2,
      identifier: idBytes.readUInt32BE(0),
      identifierBytes: Buffer.from(idBytes),
      expiry: at.expiry < 0 ? 0 : b.readUInt32BE(at.expiry),
      priority: at.priority < 0 ? 10 : b[at.priority]!,
      token: b.toString('hex', at.token, at.token + LEGACY_TOKEN_BYTES),
      payload: Buffer.from(b.subarray(at.payload, at.payload + plen)),
    };
    return { event, size: 5 + len };
  }

  /** The fault an item header shows by itself (id, size, repetition), if any. */
  private itemFault(
    item: number,
    size: number,
    at: Record<ItemKey, number>,
  ): [FrameFaultStatus, string] | undefined {
    const key = ITEM_KEYS[item];
    if (key === undefined) return [128, `unknown item ${item}`];
    if (at[key] >= 0) return [128, `item ${item} repeated`];
    switch (item) {
      case LEGACY_ITEMS.token:
        if (size === 0) return [2, 'token item is empty'];
        return size === LEGACY_TOKEN_BYTES ? undefined : [5, `token item of ${size} bytes`];
      case LEGACY_ITEMS.payload: {
        const bad = this.payloadFault(size);
        return bad ? [bad, `payload item of ${size} bytes`] : undefined;
      }
      case LEGACY_ITEMS.priority:
        return size === 1 ? undefined : [128, `priority item of ${size} bytes`];
      default:
        return size === 4 ? undefined : [128, `item ${item} of ${size} bytes, not 4`];
    }
  }

  private payloadFault(size: number): 4 | 7 | undefined {
    if (size === 0) return 4;
    return size > this.maxPayload ? 7 : undefined;
  }
}

type ItemKey = 'token' | 'payload' | 'id' | 'expiry' | 'priority';
const ITEM_KEYS: Record<number, ItemKey> = { 1: 'token', 2: 'payload', 3: 'id', 4: 'expiry', 5: 'priority' };

/** Offset of item 3's data in a complete frame, tolerating other faults; -1 if absent or unreadable. */
function findIdentifier(b: Buffer, p: number, end: number): number {
  while (p + 3 <= end) {
    const size = b.readUInt16BE(p + 1);
    if (b[p] === LEGACY_ITEMS.identifier && size === 4 && p + 7 <= end) return p + 3;
    p += 3 + size;
  }
  return -1;
}

function fault(command: number, status: FrameFaultStatus, idBytes: Uint8Array, problem: string) {
  const identifierBytes = Buffer.from(idBytes);
  const event: DecodeFault = {
    kind: 'error',
    command,
    status,
    identifier: identifierBytes.readUInt32BE(0),
    identifierBytes,
    problem,
  };
  return { event, size: 0 };
}
