/**
 * The simulator's answers as bytes: a hand-driven HTTP/2 client over TLS (frames from @pushfleet/h2's
 * builders) sends requests and decodes each answer's header block with our HPACK decoder, to see how the
 * simulator represents them. `apns-id` and
 * `apns-unique-id` are new in every answer, so they go out as literals never indexed: nothing lands in the
 * client's dynamic table (indexing them churned both ends' tables for nothing).
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:tls';
import { ProviderToken } from '@pushfleet/apns';
import { loadSigningKey } from '@pushfleet/credentials';
import { Flag, FrameType, frame, HpackDecoder, literalLength, PREFACE, writeLiteral } from '@pushfleet/h2';
import { createProviderKey, startSimulator } from '@pushfleet/simulator';
import { describe, expect, it } from 'vitest';

const TOPIC = 'com.example.app';
const providerKey = createProviderKey();

/** HPACK "literal without indexing, new name" (our encoder's per-request form), one field. */
function literal(name: string, value: string): Buffer {
  const out = Buffer.alloc(literalLength(name, value));
  writeLiteral(out, 0, name, value);
  return out;
}

interface Answer {
  readonly streamId: number;
  readonly headers: Record<string, string>;
}

/** Send one request per id on one connection; resolve each answer's headers and the decoder's table size. */
async function answersTo(
  url: string,
  ca: string,
  authorization: string,
  ids: readonly string[],
): Promise<{ readonly answers: Answer[]; readonly tableLength: number }> {
  const { hostname, port } = new URL(url);
  const decoder = new HpackDecoder();
  const answers: Answer[] = [];
  const socket = connect({ host: hostname, port: Number(port), ca, ALPNProtocols: ['h2'] });
  socket.on('secureConnect', () => {
    socket.write(PREFACE);
    socket.write(frame(FrameType.SETTINGS, 0, 0));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${answers.length} of ${ids.length} answers`)), 10_000);
    socket.on('error', reject);
    let sent = 0;
    /** HEADERS, then DATA ending the stream. */
    const sendNext = () => {
      const streamId = 1 + 2 * sent;
      const block = Buffer.concat([
        literal(':method', 'POST'),
        literal(':scheme', 'https'),
        literal(':path', `/3/device/${(sent + 1).toString(16).padStart(64, '0')}`),
        literal(':authority', hostname),
        literal('authorization', authorization),
        literal('apns-topic', TOPIC),
        literal('apns-push-type', 'alert'),
        literal('apns-id', ids[sent]!),
      ]);
      sent++;
      socket.write(frame(FrameType.HEADERS, Flag.END_HEADERS, streamId, block));
      socket.write(frame(FrameType.DATA, Flag.END_STREAM, streamId, Buffer.from('{"aps":{"alert":"hi"}}')));
    };
    let buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      while (buffer.length >= 9 && buffer.length >= 9 + buffer.readUIntBE(0, 3)) {
        const length = buffer.readUIntBE(0, 3);
        const [type, flags] = [buffer[3]!, buffer[4]!];
        const streamId = buffer.readUInt32BE(5) & 0x7fffffff;
        const payload = buffer.subarray(9, 9 + length);
        buffer = buffer.subarray(9 + length);
        if (type === FrameType.SETTINGS && (flags & Flag.ACK) === 0) {
          // The server's SETTINGS: acknowledge; the first time, send the first request.
          socket.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
          if (sent === 0) sendNext();
        } else if (type === FrameType.HEADERS) {
          const headers: Record<string, string> = {};
          decoder.decode(payload, 0, payload.length, (name, value) => {
            headers[name] = value;
          });
          answers.push({ streamId, headers });
          // One at a time: a token-auth connection takes one stream until its first request is answered.
          if (sent < ids.length) sendNext();
          else if (answers.length === ids.length) {
            clearTimeout(timer);
            socket.destroy();
            resolve({ answers, tableLength: decoder.tableLength });
          }
        }
      }
    });
  });
}

describe('the simulator answers', () => {
  it("sends only Apple's headers, apns-id and apns-unique-id never indexed: the client table stays empty", async () => {
    await using sim = await startSimulator({ keys: [providerKey], certificatePort: null, topics: [TOPIC] });
    const token = new ProviderToken({
      key: loadSigningKey(providerKey.privateKeyPem, 'test.p8'),
      keyId: providerKey.keyId,
      teamId: providerKey.teamId,
    });
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const { answers, tableLength } = await answersTo(sim.url, sim.ca, token.bearer(), ids);
    // Apple's answer headers and nothing else (node:http2 would add `date`).
    for (const a of answers)
      expect(Object.keys(a.headers).sort()).toEqual([':status', 'apns-id', 'apns-unique-id']);
    expect(answers.map((a) => a.headers[':status'])).toEqual(ids.map(() => '200'));
    expect(answers.map((a) => a.headers['apns-id']).sort()).toEqual([...ids].sort());
    // The development environment (the default) adds Apple's unique id, a UUID of its own per answer.
    const unique = new Set(answers.map((a) => a.headers['apns-unique-id']));
    expect(unique.size).toBe(ids.length);
    for (const u of unique) expect(u).toMatch(/^[0-9a-f-]{36}$/);
    expect(tableLength).toBe(0);
  });
});
