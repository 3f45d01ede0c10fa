import forge from 'node-forge';

/** Block labels we read, as they appear after `-----BEGIN `. */
export const PEM_LABELS = {
  certificate: ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'],
  privateKey: ['RSA PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY'],
} as const;

/** One decoded PEM block: `type` is the label, `body` the DER as a forge binary string. */
export type PemBlock = forge.pem.ObjectPEM;

/** `true` when the bytes look like PEM text rather than DER. */
export function isPem(input: Buffer | string): boolean {
  const text = typeof input === 'string' ? input : input.subarray(0, 64 * 1024).toString('latin1');
  return text.includes('-----BEGIN ');
}

/** Every PEM block in the text, in order; labels we do not know are kept (callers filter). */
export function readPemBlocks(input: Buffer | string): PemBlock[] {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  // forge.pem.decode throws on a block it cannot parse (bad headers); a block-by-block pass keeps the rest.
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    blocks.push(...forge.pem.decode(match[0]));
  }
  return blocks;
}

export function isCertificateBlock(block: PemBlock): boolean {
  return (PEM_LABELS.certificate as readonly string[]).includes(block.type);
}

export function isPrivateKeyBlock(block: PemBlock): boolean {
  return (PEM_LABELS.privateKey as readonly string[]).includes(block.type);
}

/** PEM text with `\n` line ends (forge writes `\r\n`), ending in one newline. */
export function normalizePem(pem: string): string {
  return `${pem.replace(/\r\n/g, '\n').trimEnd()}\n`;
}
