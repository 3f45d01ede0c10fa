/**
 * A request's header block for the broadcast and management routes, every field a literal without indexing
 * (RFC 7541 §6.2.2): these requests are few (one broadcast reaches a whole channel) and carry other methods
 * than POST, so the pool's indexed POST prefix (request-writer.ts) is not worth it here; the dynamic table is
 * never touched. Pseudo-headers first (RFC 9113 §8.3).
 *
 *   :method <GET|POST|DELETE>  :scheme https  :authority <host>  :path <path>  then the regular fields
 */
import { type HeaderBlock, literalLength, writeLiteral } from '@pushfleet/h2';

export class HeaderList implements HeaderBlock {
  readonly #fields: readonly (readonly [string, string])[];
  readonly maxLength: number;

  constructor(
    method: string,
    authority: string,
    path: string,
    headers: readonly (readonly [string, string])[],
  ) {
    this.#fields = [
      [':method', method],
      [':scheme', 'https'],
      [':authority', authority],
      [':path', path],
      ...headers,
    ];
    let length = 0;
    for (const [name, value] of this.#fields) length += literalLength(name, value);
    this.maxLength = length;
  }

  writeTo(out: Buffer, offset: number): number {
    let o = offset;
    for (const [name, value] of this.#fields) o = writeLiteral(out, o, name, value);
    return o;
  }
}
