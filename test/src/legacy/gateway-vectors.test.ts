/**
 * The simulator's legacy gateway against byte vectors typed by hand from docs/protocol/legacy-binary.md
 * (never produced by our encoders), written with a raw TLS socket in random splits.
 */
import type { TLSSocket } from 'node:tls';
import { createPrng } from '@pushfleet/simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LegacyFixture, rawSocket, readUntilClosed, startLegacyFixture } from './legacy-fixture.js';

const hex = (spaced: string): Buffer => Buffer.from(spaced.replace(/\s+/g, ''), 'hex');
const TOKEN = '00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0';
const PAYLOAD = '7b22617073223a7b22616c657274223a2248656c6c6f227d7d'; // {"aps":{"alert":"Hello"}}

/** Command 0 (simple), 62 bytes, `00 19` at offset 35. */
const SIMPLE = hex(`00 0020 ${TOKEN} 0019 ${PAYLOAD}`);
/** Command 1 (enhanced), identifier 1, expiry 0, 70 bytes. */
const ENHANCED = hex(`01 00000001 00000000 0020 ${TOKEN} 0019 ${PAYLOAD}`);
/** Command 2 (framed), identifier 1, expiry 0, priority 10, 86 bytes. */
const FRAMED = hex(
  `02 00000051 01 0020 ${TOKEN} 02 0019 ${PAYLOAD} 03 0004 00000001 04 0004 00000000 05 0001 0a`,
);
/** Command 2 with its items in the order 5, 4, 3, 2, 1, identifier 2, expiry 1700000000, priority 5. */
const FRAMED_REVERSED = hex(
  `02 00000051 05 0001 05 04 0004 6553f100 03 0004 00000002 02 0019 ${PAYLOAD} 01 0020 ${TOKEN}`,
);

/** Write `bytes` in random pieces (1..maxChunk bytes), each its own socket write after a turn of the loop. */
async function writeSplit(socket: TLSSocket, bytes: Buffer, seed: number, maxChunk = 13): Promise<void> {
  const rand = createPrng(seed); // seeded, so a failing split is reproducible
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    socket.write(bytes.subarray(i, i + n));
    i += n;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let fx: LegacyFixture;
beforeAll(async () => {
  fx = await startLegacyFixture();
});
afterAll(async () => {
  await fx?.close();
});
beforeEach(() => {
  fx.sim.legacy!.recorder.clear();
  fx.sim.legacy!.configure({ rejectEvery: 0, shutdownAfter: 0, rejectStatus: 8 });
  fx.sim.devices.clear();
});

describe('legacy gateway: hand-written vectors', () => {
  it('the vectors are the sizes the doc gives', () => {
    expect([SIMPLE.length, ENHANCED.length, FRAMED.length]).toEqual([62, 70, 86]);
    expect(SIMPLE.subarray(35, 37)).toEqual(hex('00 19'));
    expect(ENHANCED.subarray(0, 11)).toEqual(hex('01 00 00 00 01 00 00 00 00 00 20'));
    expect(FRAMED.subarray(0, 8)).toEqual(hex('02 00 00 00 51 01 00 20'));
  });

  for (const seed of [1, 2, 3]) {
    it(`decodes commands 0, 1, 2 (and shuffled items) written in random splits (seed ${seed})`, async () => {
      const socket = await rawSocket(fx);
      const all = Buffer.concat([SIMPLE, ENHANCED, FRAMED, FRAMED_REVERSED]);
      await writeSplit(socket, all, seed);
      const records = await fx.sim.legacy!.recorder.waitFor(4);
      socket.destroy();
      expect(records.map((r) => [r.command, r.identifier, r.expiry, r.priority])).toEqual([
        [0, 0, 0, 10],
        [1, 1, 0, 10],
        [2, 1, 0, 10],
        [2, 2, 1_700_000_000, 5],
      ]);
      for (const r of records) {
        expect(r.token).toBe(TOKEN);
        expect(r.payload).toBe('{"aps":{"alert":"Hello"}}');
        expect(r.topic).toBe('com.example.legacy');
      }
      expect(new Set(records.map((r) => r.connectionId)).size).toBe(1);
    });
  }

  it('a dead token: `08 08` + the identifier bytes as sent, then the connection closes and later bytes are ignored', async () => {
    fx.sim.devices.markDead(TOKEN);
    const socket = await rawSocket(fx);
    const closed = readUntilClosed(socket);
    const opaque = hex(
      `02 00000051 01 0020 ${TOKEN} 02 0019 ${PAYLOAD} 03 0004 deadbeef 04 0004 00000000 05 0001 0a`,
    );
    const other = FRAMED.toString('hex').replace(TOKEN, '11'.repeat(32));
    await writeSplit(socket, Buffer.concat([opaque, hex(other)]), 4);
    expect(await closed).toEqual(hex('08 08 deadbeef'));
    expect(fx.sim.legacy!.recorder.counters).toMatchObject({ accepted: 0, rejected: 1 });
  });

  const faults: [string, string, string][] = [
    ['command 1, token length 33 -> 5', `01 00000009 00000000 0021 ${TOKEN}00 0019`, '08 05 00000009'],
    ['unknown command byte -> 128', '07 00000001 00000000', '08 80 00000000'],
    [
      'command 2 without a payload item -> 4',
      `02 0000002a 01 0020 ${TOKEN} 03 0004 00000008`,
      '08 04 00000008',
    ],
    [
      'command 2 with a 31-byte token, identifier item last -> 5 naming it',
      `02 00000045 01 001f ${TOKEN.slice(0, 62)} 02 0019 ${PAYLOAD} 03 0004 0000002a`,
      '08 05 0000002a',
    ],
    [
      'command 2 with a 2049-byte payload -> 7',
      `02 0000082e 01 0020 ${TOKEN} 02 0801 ${'20'.repeat(2049)} 03 0004 00000003`,
      '08 07 00000003',
    ],
  ];
  for (const [name, bytes, answer] of faults) {
    it(`answers a bad frame after a good one: ${name}`, async () => {
      const socket = await rawSocket(fx);
      const closed = readUntilClosed(socket);
      await writeSplit(socket, Buffer.concat([FRAMED, hex(bytes)]), 5, 64);
      expect(await closed).toEqual(hex(answer));
      expect(fx.sim.legacy!.recorder.counters.accepted).toBe(1);
    });
  }

  it('command 0 has no error response: a dead token closes the connection silently', async () => {
    fx.sim.devices.markDead(TOKEN);
    const socket = await rawSocket(fx);
    const closed = readUntilClosed(socket);
    socket.write(SIMPLE);
    expect((await closed).length).toBe(0);
  });

  it('shutdownAfter 2: `08 0a` with the second identifier, the third is not recorded', async () => {
    fx.sim.legacy!.configure({ shutdownAfter: 2 });
    const socket = await rawSocket(fx);
    const closed = readUntilClosed(socket);
    const third = hex(FRAMED.toString('hex').replace(/0300040000000{2}1/, '03000400000003'));
    await writeSplit(socket, Buffer.concat([FRAMED, FRAMED_REVERSED, third]), 6);
    expect(await closed).toEqual(hex('08 0a 00000002'));
    expect(fx.sim.legacy!.recorder.accepted.map((r) => r.identifier)).toEqual([1, 2]);
  });

  // The other status bytes of Apple's table, which no well-formed frame provokes, come from rejectStatus.
  for (const [status, bytes] of [
    [1, '08 01 00000001'],
    [3, '08 03 00000001'],
    [6, '08 06 00000001'],
    [255, '08 ff 00000001'],
  ] as const) {
    it(`rejectStatus ${status}: answers \`${bytes}\` and records nothing`, async () => {
      fx.sim.legacy!.configure({ rejectEvery: 1, rejectStatus: status });
      const socket = await rawSocket(fx);
      const closed = readUntilClosed(socket);
      await writeSplit(socket, FRAMED, status);
      expect(await closed).toEqual(hex(bytes));
      expect(fx.sim.legacy!.recorder.accepted).toEqual([]);
    });
  }

  it('a certificate for the other environment passes the handshake, then is closed at once with no bytes', async () => {
    const production = fx.certificate({ environments: ['production'] });
    const socket = await rawSocket(fx, production);
    const closed = readUntilClosed(socket);
    socket.write(FRAMED);
    expect((await closed).length).toBe(0);
    expect(fx.sim.legacy!.recorder.counters).toMatchObject({ accepted: 0, refusedConnections: 1 });
  });

  it('a client certificate from another CA fails the handshake', async () => {
    const { createCertificateAuthority, createApnsClientCertificate } = await import('@pushfleet/simulator');
    const stranger = createApnsClientCertificate(createCertificateAuthority(), {
      bundleId: 'com.example.legacy',
      teamId: 'TEAMLEGACY',
    });
    const outcome = await rawSocket(fx, stranger).then(
      (socket) => readUntilClosed(socket).then(() => 'closed'),
      () => 'refused',
    );
    expect(['refused', 'closed']).toContain(outcome);
    expect(fx.sim.legacy!.recorder.counters.connections).toBe(0);
  });
});
