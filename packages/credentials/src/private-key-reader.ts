import forge from 'node-forge';
import { credentialsFailure } from './credentials-failure.js';
import { normalizePem, type PemBlock } from './pem-blocks.js';

const { asn1, pki } = forge;
const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1';
const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';

/**
 * Read one private-key PEM block into a forge RSA key: `RSA PRIVATE KEY` (PKCS#1, plain or with an OpenSSL
 * `Proc-Type: 4,ENCRYPTED` header), `PRIVATE KEY` (PKCS#8) or `ENCRYPTED PRIVATE KEY` (PKCS#8, PBES2 or PKCS#12 PBE).
 * @throws CredentialsError naming `source`: PASSPHRASE_REQUIRED, WRONG_PASSPHRASE, NOT_RSA or UNREADABLE.
 */
export function readPrivateKeyBlock(
  block: PemBlock,
  passphrase: string | undefined,
  source: string,
): forge.pki.rsa.PrivateKey {
  const encrypted = block.type === 'ENCRYPTED PRIVATE KEY' || block.procType?.type === 'ENCRYPTED';
  if (block.type === 'EC PRIVATE KEY') throw notRsa(source, 'an EC key');
  if (encrypted && passphrase === undefined) {
    throw credentialsFailure(
      source,
      'PASSPHRASE_REQUIRED',
      'the private key is encrypted and no passphrase was given',
    );
  }
  if (block.type === 'ENCRYPTED PRIVATE KEY') {
    return fromPrivateKeyInfo(decryptPkcs8(block, passphrase ?? '', source), source);
  }
  if (block.type === 'PRIVATE KEY') return fromPrivateKeyInfo(parseDer(block.body, source), source);
  if (encrypted) return decryptLegacyPem(block, passphrase ?? '', source);
  try {
    return pki.privateKeyFromAsn1(parseDer(block.body, source)) as forge.pki.rsa.PrivateKey;
  } catch (cause) {
    throw credentialsFailure(source, 'UNREADABLE', 'the RSA PRIVATE KEY block could not be parsed', cause);
  }
}

/** The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), `\n` line ends. */
export function privateKeyToPkcs8Pem(key: forge.pki.rsa.PrivateKey): string {
  return normalizePem(pki.privateKeyInfoToPem(pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(key))));
}

/** `true` when the certificate's RSA public key is the public half of `key` (openssl's `-modulus` check). */
export function keyMatchesCertificate(key: forge.pki.rsa.PrivateKey, cert: forge.pki.Certificate): boolean {
  const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
  return publicKey.n.compareTo(key.n) === 0 && publicKey.e.compareTo(key.e) === 0;
}

function decryptPkcs8(block: PemBlock, passphrase: string, source: string): forge.asn1.Asn1 {
  const encryptedInfo = parseDer(block.body, source);
  let info: forge.asn1.Asn1 | null;
  try {
    // PBES2 hashes the passphrase bytes (UTF-8, as OpenSSL does); forge reads strings as bytes.
    info = pki.decryptPrivateKeyInfo(encryptedInfo, forge.util.encodeUtf8(passphrase));
  } catch (cause) {
    // Garbage after a wrong passphrase can still pass the padding check and then fail to parse.
    if (isUnsupported(cause)) throw unreadable(source, cause);
    info = null;
  }
  if (info === null) throw wrongPassphrase(source);
  return info;
}

function decryptLegacyPem(block: PemBlock, passphrase: string, source: string): forge.pki.rsa.PrivateKey {
  let key: forge.pki.rsa.PrivateKey | null;
  try {
    key = pki.decryptRsaPrivateKey(forge.pem.encode(block), forge.util.encodeUtf8(passphrase));
  } catch (cause) {
    if (isUnsupported(cause)) throw unreadable(source, cause);
    key = null;
  }
  if (key === null) throw wrongPassphrase(source);
  return key;
}

function fromPrivateKeyInfo(info: forge.asn1.Asn1, source: string): forge.pki.rsa.PrivateKey {
  const algorithm = privateKeyInfoAlgorithm(info);
  if (algorithm === EC_PUBLIC_KEY_OID) throw notRsa(source, 'an EC key (a token-auth .p8 signing key?)');
  if (algorithm !== RSA_ENCRYPTION_OID) throw notRsa(source, `a key of algorithm ${algorithm ?? 'unknown'}`);
  try {
    return pki.privateKeyFromAsn1(info) as forge.pki.rsa.PrivateKey;
  } catch (cause) {
    throw credentialsFailure(source, 'UNREADABLE', 'the PKCS#8 private key could not be parsed', cause);
  }
}

/** PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier SEQUENCE { OID, params }, OCTET STRING } */
function privateKeyInfoAlgorithm(info: forge.asn1.Asn1): string | undefined {
  const children = Array.isArray(info.value) ? info.value : [];
  const algorithm = children[1];
  const oid = algorithm && Array.isArray(algorithm.value) ? algorithm.value[0] : undefined;
  return oid && typeof oid.value === 'string' ? asn1.derToOid(oid.value) : undefined;
}

function parseDer(body: string, source: string): forge.asn1.Asn1 {
  try {
    return asn1.fromDer(body);
  } catch (cause) {
    throw credentialsFailure(
      source,
      'UNREADABLE',
      'the private key is not valid DER inside its PEM block',
      cause,
    );
  }
}

function isUnsupported(cause: unknown): boolean {
  // forge: "Unsupported OID", "Unsupported PRF", "not a supported EncryptedPrivateKeyInfo".
  return cause instanceof Error && /supported/i.test(cause.message);
}

function unreadable(source: string, cause: unknown): Error {
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  return credentialsFailure(
    source,
    'UNREADABLE',
    `the encrypted private key could not be read${detail}`,
    cause,
  );
}

function wrongPassphrase(source: string): Error {
  return credentialsFailure(source, 'WRONG_PASSPHRASE', 'wrong passphrase for the encrypted private key');
}

function notRsa(source: string, what: string): Error {
  return credentialsFailure(
    source,
    'NOT_RSA',
    `the private key is ${what}; certificate authentication needs the certificate's RSA key`,
  );
}
