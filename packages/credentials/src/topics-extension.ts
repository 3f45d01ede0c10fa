import forge from 'node-forge';

const { asn1 } = forge;
const STRING_TYPES: ReadonlySet<number> = new Set([
  asn1.Type.UTF8,
  asn1.Type.PRINTABLESTRING,
  asn1.Type.IA5STRING,
  asn1.Type.BMPSTRING,
]);

/**
 * The topics of a universal certificate's `1.2.840.113635.100.6.3.6` extension, whose value is
 * `SEQUENCE { UTF8String topic, SEQUENCE { UTF8String kind } … }`, as pushy's test certificates encode it
 * (Apple says only that the topic is part of the extension): every string directly in the outer SEQUENCE is
 * a topic; the nested SEQUENCEs name its kinds (`app`, `voip`, `complication`).
 * Returns `[]` for a value it cannot read: the UID topic still stands.
 */
export function parseTopicsExtension(der: string): string[] {
  let outer: forge.asn1.Asn1;
  try {
    outer = asn1.fromDer(der, false);
  } catch {
    return [];
  }
  if (outer.type !== asn1.Type.SEQUENCE || !Array.isArray(outer.value)) return [];
  const topics: string[] = [];
  for (const item of outer.value) {
    if (STRING_TYPES.has(item.type) && typeof item.value === 'string') topics.push(decodeAsn1String(item));
  }
  return topics;
}

/** A forge string node's text: UTF8String as UTF-8, BMPString as UTF-16BE, the rest as Latin-1. */
export function decodeAsn1String(node: { type: number; value: unknown }): string {
  const raw = typeof node.value === 'string' ? node.value : '';
  if (node.type === asn1.Type.UTF8) return forge.util.decodeUtf8(raw);
  if (node.type === asn1.Type.BMPSTRING) return Buffer.from(raw, 'binary').swap16().toString('utf16le');
  return raw;
}
