/**
 * The request writer's header blocks, decoded by our HPACK decoder as a peer would: each request carries its
 * own topic, push type, priority, token, id and expiration, whether the one before it repeated them (the
 * writer reuses its list of indexed headers then) or not, on one connection's encoder or across two.
 */
import { HpackDecoder, HpackEncoder } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import type { ApnsRequest } from '../types.js';
import { createPoolRequest } from './pool-request.js';
import { ApnsRequestWriter } from './request-writer.js';

const receiver = { resolve: () => {}, reject: () => {} };

/** One connection: its encoder, and the decoder at the other end. */
function connection() {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  return {
    encoder,
    /** The headers the peer decodes from `request`'s block. */
    send(writer: ApnsRequestWriter, request: ApnsRequest, bearer?: string): Record<string, string> {
      const block = writer.prepare(createPoolRequest(request, receiver, 0), bearer, encoder);
      const out = Buffer.alloc(block.maxLength);
      const end = block.writeTo(out, 0);
      expect(end).toBeLessThanOrEqual(block.maxLength);
      const headers: Record<string, string> = {};
      decoder.decode(out, 0, end, (name, value) => {
        headers[name] = value;
      });
      return headers;
    },
  };
}

const token = (i: number) => i.toString(16).padStart(64, '0');
const request = (i: number, over: Partial<ApnsRequest> = {}): ApnsRequest => ({
  token: token(i),
  topic: 'com.example.app',
  pushType: 'alert',
  apnsId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  payload: '{"aps":{}}',
  ...over,
});

describe('ApnsRequestWriter', () => {
  it("writes each request's own headers, whether they repeat the last request's or not", () => {
    const writer = new ApnsRequestWriter('api.push.apple.com');
    const a = connection();
    const b = connection();
    const sends: [ReturnType<typeof connection>, ApnsRequest, string | undefined][] = [
      [a, request(1), 'bearer one'],
      [a, request(2), 'bearer one'], // all alike: the list is reused
      [a, request(3, { topic: 'com.example.other' }), 'bearer one'],
      [a, request(4, { topic: 'com.example.other', priority: 5 }), 'bearer one'],
      [a, request(5, { topic: 'com.example.other', priority: 5, pushType: 'background' }), 'bearer one'],
      [a, request(6, { topic: 'com.example.other', priority: 5, pushType: 'background' }), 'bearer two'],
      [b, request(7, { topic: 'com.example.other', priority: 5, pushType: 'background' }), 'bearer two'],
      [b, request(8, { expiration: 0, collapseId: 'c1' }), undefined],
      [a, request(9), 'bearer one'],
    ];
    for (const [conn, r, bearer] of sends) {
      const expected: Record<string, string> = {
        ':method': 'POST',
        ':scheme': 'https',
        ':authority': 'api.push.apple.com',
        ':path': `/3/device/${r.token}`,
        ...(bearer !== undefined ? { authorization: bearer } : {}),
        'apns-topic': r.topic,
        'apns-push-type': r.pushType,
        ...(r.priority !== undefined ? { 'apns-priority': String(r.priority) } : {}),
        'apns-id': r.apnsId!,
        ...(r.expiration !== undefined ? { 'apns-expiration': String(r.expiration) } : {}),
        ...(r.collapseId !== undefined ? { 'apns-collapse-id': r.collapseId } : {}),
      };
      expect(conn.send(writer, r, bearer)).toEqual(expected);
    }
  });
});
