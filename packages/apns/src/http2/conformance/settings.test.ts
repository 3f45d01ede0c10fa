/**
 * RFC 9113 3.4 (the server preface), 4.2 (frame size), 6.5 (SETTINGS), 6.5.2 (defined settings) and 6.5.3
 * (settings synchronization). Each connection error ends connection 0 with the GOAWAY code the RFC names; the
 * open request goes out again on connection 1, which answers it.
 */
import { ErrorCode, Flag, FrameType, frame, Setting } from '@pushfleet/h2';
import { describe, expect, it } from 'vitest';
import { answeredBy, poolFor, track, watchProcess } from './__fixtures__/client.js';
import { badFrames, onFirstConnection } from './__fixtures__/first-connection.js';
import {
  dataFrame,
  errorName,
  headersFrame,
  pingFrame,
  rawFrame,
  responseBlock,
  settingsFrame,
} from './__fixtures__/frames.js';
import { describeReaction, label, serveOk, startRawH2Server } from './__fixtures__/raw-h2-server.js';

const name = errorName;

describe('RFC 9113 3.4 server preface', () => {
  it('3.4: a server whose first frame is not SETTINGS gets PROTOCOL_ERROR', async () => {
    // The frame reader checks the first frame: anything but a (non-ACK) SETTINGS is PROTOCOL_ERROR.
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      if (c.index === 0) c.settings = false;
      else serveOk(c);
    });
    await using pool = poolFor(server);
    const sent = track(pool);
    const first = await server.connection(0);
    const [request] = await first.ended(1);
    const reaction = await first.reaction([pingFrame(Buffer.from('notfirst'))]);
    if (reaction.kind === 'ack') first.respond(request!.streamId, 200, label(0));
    expect(describeReaction(reaction)).toBe(`GOAWAY ${name(ErrorCode.PROTOCOL_ERROR)}`);
    expect(answeredBy(await sent.outcome())).toBe(label(1));
    expect(watch.errors).toEqual([]);
  });
});

describe('RFC 9113 6.5 SETTINGS frame', () => {
  it.each([
    [
      '6.5: a SETTINGS length that is not a multiple of 6',
      rawFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)),
      ErrorCode.FRAME_SIZE_ERROR,
    ],
    [
      '6.5: a SETTINGS ACK with a payload',
      rawFrame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(6)),
      ErrorCode.FRAME_SIZE_ERROR,
    ],
    [
      '6.5: SETTINGS on a stream (not 0)',
      rawFrame(FrameType.SETTINGS, 0, 1, Buffer.alloc(0)),
      ErrorCode.PROTOCOL_ERROR,
    ],
  ])('%s is a connection error', async (_, bad, code) => {
    const result = await onFirstConnection(badFrames(bad));
    expect(result.goaway).toBe(name(code));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('6.5: an unknown setting is ignored', async () => {
    const result = await onFirstConnection(badFrames(settingsFrame([[0xfa, 7]])));
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
  });
});

describe('RFC 9113 6.5.2 defined settings', () => {
  it('6.5.2: SETTINGS_ENABLE_PUSH = 1 from a server is PROTOCOL_ERROR', async () => {
    // The client refuses any ENABLE_PUSH other than 0 from a server (was: only values above 1).
    const result = await onFirstConnection(badFrames(settingsFrame([[Setting.ENABLE_PUSH, 1]])));
    expect(result.goaway).toBe(name(ErrorCode.PROTOCOL_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it.each([
    ['6.5.2: SETTINGS_ENABLE_PUSH = 2', Setting.ENABLE_PUSH, 2, ErrorCode.PROTOCOL_ERROR],
    [
      '6.5.2: SETTINGS_INITIAL_WINDOW_SIZE = 2^31',
      Setting.INITIAL_WINDOW_SIZE,
      2 ** 31,
      ErrorCode.FLOW_CONTROL_ERROR,
    ],
    [
      '6.5.2: SETTINGS_MAX_FRAME_SIZE = 2^14 - 1',
      Setting.MAX_FRAME_SIZE,
      2 ** 14 - 1,
      ErrorCode.PROTOCOL_ERROR,
    ],
    ['6.5.2: SETTINGS_MAX_FRAME_SIZE = 2^24', Setting.MAX_FRAME_SIZE, 2 ** 24, ErrorCode.PROTOCOL_ERROR],
  ])('%s is a connection error', async (_, id, value, code) => {
    const result = await onFirstConnection(badFrames(settingsFrame([[id, value]])));
    expect(result.goaway).toBe(name(code));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });
});

describe('RFC 9113 6.5.3 settings synchronization', () => {
  it('6.5.3: no SETTINGS ACK from the server within a timeout is SETTINGS_TIMEOUT', async () => {
    // The client gives the peer its PING timeout (1 s here) to acknowledge our SETTINGS.
    using watch = watchProcess();
    await using server = await startRawH2Server((c) => {
      if (c.index === 0) c.ackSettings = false;
      else serveOk(c);
    });
    await using pool = poolFor(server, {
      pingTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
      requestTimeoutMs: 8_000,
    });
    const sent = track(pool);
    const first = await server.connection(0);
    const [request] = await first.ended(1);
    const goaway = await first.waitForGoaway(4_000).catch(() => undefined);
    if (goaway === undefined) first.respond(request!.streamId, 200, label(0));
    expect(goaway === undefined ? 'no GOAWAY' : name(goaway.code)).toBe(name(ErrorCode.SETTINGS_TIMEOUT));
    expect(answeredBy(await sent.outcome(4_000))).toBe(label(1));
    expect(watch.errors).toEqual([]);
  });
});

describe('RFC 9113 4.2 frame size', () => {
  it('4.2: a frame larger than our SETTINGS_MAX_FRAME_SIZE (16,384, the default) is FRAME_SIZE_ERROR', async () => {
    const result = await onFirstConnection((c, [r]) =>
      badFrames(headersFrame(r!.streamId, responseBlock(400)), dataFrame(r!.streamId, Buffer.alloc(16_385)))(
        c,
        [],
      ),
    );
    expect(result.goaway).toBe(name(ErrorCode.FRAME_SIZE_ERROR));
    expect(result.answeredBy).toEqual([label(1)]);
    expect(result.copies).toEqual([2]); // re-sent once
    expect(result.uncaught).toEqual([]);
  });

  it('4.2: a frame of exactly 16,384 bytes is valid', async () => {
    const result = await onFirstConnection((c, [r]) =>
      c.write(
        headersFrame(r!.streamId, responseBlock(400, [['apns-id', label(0)]])),
        dataFrame(r!.streamId, Buffer.alloc(16_384, 0x20)),
      ),
    );
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
  });

  it('6.5: an empty SETTINGS frame is valid (and acknowledged)', async () => {
    const result = await onFirstConnection(badFrames(frame(FrameType.SETTINGS, 0, 0)));
    expect(result.goaway).toBe('no GOAWAY');
    expect(result.answeredBy).toEqual([label(0)]);
  });
});
