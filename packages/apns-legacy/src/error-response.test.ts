import { ApnsValidationError, TransportError } from '@pushfleet/apns';
import { describe, expect, it } from 'vitest';
import { byteByByte, randomSplit } from './__fixtures__/splits.js';
import { bytes, ERROR_INVALID_TOKEN, ERROR_SHUTDOWN } from './__fixtures__/vectors.js';
import { decodeErrorResponse, ErrorResponseDecoder, encodeErrorResponse } from './error-response.js';

describe('error response 08 ss iiiiiiii', () => {
  it('decodes the doc vector (status 8, identifier 1) fed one byte at a time', () => {
    const d = new ErrorResponseDecoder();
    const chunks = byteByByte(bytes(ERROR_INVALID_TOKEN));
    for (const c of chunks.slice(0, 5)) expect(d.push(c)).toEqual([]);
    expect(d.pendingBytes).toBe(5);
    const [r] = d.push(chunks[5]!);
    expect(r).toMatchObject({ status: 8, identifier: 1, info: { name: 'InvalidToken', action: 'token' } });
    expect(r!.identifierBytes.toString('hex')).toBe('00000001');
    expect(d.pendingBytes).toBe(0);
  });

  it('decodes any random split of several packets', () => {
    const stream = Buffer.concat([
      bytes(ERROR_INVALID_TOKEN),
      bytes(ERROR_SHUTDOWN),
      bytes('08 ff ffffffff'),
    ]);
    for (let seed = 1; seed <= 50; seed++) {
      const d = new ErrorResponseDecoder();
      const got = randomSplit(stream, seed, 7).flatMap((c) => d.push(c));
      expect(got.map((r) => [r.status, r.identifier, r.info.name])).toEqual([
        [8, 1, 'InvalidToken'],
        [10, 42, 'Shutdown'],
        [255, 0xffffffff, 'None'],
      ]);
    }
  });

  it('keeps the identifier bytes verbatim (Apple sample writes them unswapped)', () => {
    const r = decodeErrorResponse(bytes('08 07 01000000'));
    expect(r.identifier).toBe(0x01000000);
    expect([...r.identifierBytes]).toEqual([1, 0, 0, 0]);
    expect(r.info.name).toBe('InvalidPayloadSize');
  });

  it('an unknown status byte still decodes, with action retry', () => {
    expect(decodeErrorResponse(bytes('08 63 00000002')).info).toMatchObject({ action: 'retry' });
  });

  it('a wrong command byte is a protocol error, and the decoder stays failed', () => {
    const d = new ErrorResponseDecoder();
    expect(() => d.push(bytes('09 08 00000001'))).toThrow(TransportError);
    expect(() => d.push(bytes(ERROR_INVALID_TOKEN))).toThrow(/0x09/);
    try {
      new ErrorResponseDecoder().push(bytes('08 08 00000001 02'));
    } catch (e) {
      expect((e as TransportError).code).toBe('PROTOCOL');
    }
    expect(() => decodeErrorResponse(bytes('07 08 00000001'))).toThrow(TransportError);
  });

  it('encodes for the simulator: by number or echoing raw bytes', () => {
    expect(encodeErrorResponse(8, 1).equals(bytes(ERROR_INVALID_TOKEN))).toBe(true);
    expect(encodeErrorResponse(10, Buffer.from([0, 0, 0, 42])).equals(bytes(ERROR_SHUTDOWN))).toBe(true);
    expect(() => encodeErrorResponse(256, 1)).toThrow(ApnsValidationError);
    expect(() => encodeErrorResponse(8, 2 ** 32)).toThrow(/identifier/);
    expect(() => encodeErrorResponse(8, Buffer.alloc(3))).toThrow(/identifier/);
  });
});
