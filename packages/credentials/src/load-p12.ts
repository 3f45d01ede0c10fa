import forge from 'node-forge';
import { type CertificateCredentials, pairCredentials } from './certificate-credentials.js';
import { certificateFromAsn1 } from './certificate-reader.js';
import type { CredentialsError } from './credentials-error.js';
import { credentialsFailure } from './credentials-failure.js';

const { asn1, pkcs12 } = forge;
/** PKCS#12 bag types (RFC 7292): pkcs8ShroudedKeyBag, keyBag, certBag. */
const BAG_TYPES = {
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  key: '1.2.840.113549.1.12.10.1.1',
  cert: '1.2.840.113549.1.12.10.1.3',
} as const;
const KEY_BAG_TYPES = [BAG_TYPES.shroudedKey, BAG_TYPES.key] as const;
/** forge's words for a MAC or decryption failure, i.e. a wrong password. */
const WRONG_PASSWORD = /MAC could not be verified|Invalid password|wrong password|Failed to decrypt/i;

/**
 * Load a PKCS#12 (`.p12` / `.pfx`) export in-process: PBES2 (AES, 3DES) and the legacy
 * `pbeWithSHAAnd3-KeyTripleDES-CBC` / `pbeWithSHAAnd40BitRC2-CBC` that OpenSSL 3 and Node ≥ 17 refuse.
 * Without a passphrase, both conventions for "no password" are tried (`""` and none).
 * `source` names the file in errors; the passphrase never appears in one.
 * @throws CredentialsError: WRONG_PASSPHRASE (`<source>: wrong passphrase for the .p12`), PASSPHRASE_REQUIRED,
 *   NO_PRIVATE_KEY, MULTIPLE_PRIVATE_KEYS, NO_CERTIFICATE, KEY_MISMATCH, NOT_RSA or UNREADABLE.
 */
export function loadP12(
  bytes: Buffer,
  passphrase: string | undefined,
  source: string,
): CertificateCredentials {
  const p12 = openP12(bytes, passphrase, source);
  const keyBags = KEY_BAG_TYPES.flatMap((bagType) => p12.getBags({ bagType })[bagType] ?? []);
  const certBags = p12.getBags({ bagType: BAG_TYPES.cert })[BAG_TYPES.cert] ?? [];
  if (keyBags.length === 0) {
    throw credentialsFailure(
      source,
      'NO_PRIVATE_KEY',
      'the .p12 holds no private key: it was exported without one (in Keychain Access, select the ' +
        'certificate together with its private key before exporting)',
    );
  }
  if (keyBags.length > 1) {
    throw credentialsFailure(
      source,
      'MULTIPLE_PRIVATE_KEYS',
      `the .p12 holds ${keyBags.length} private keys; export only the push certificate and its key`,
    );
  }
  const key = keyBags[0]?.key;
  if (!key) {
    throw credentialsFailure(
      source,
      'NOT_RSA',
      "the .p12's private key is not RSA; APNs provider certificates use RSA keys",
    );
  }
  // forge leaves `cert` null for a certificate it cannot read (a non-RSA one): re-parse it for the reason.
  const certificates = certBags.map((bag) => bag.cert ?? certificateFromAsn1(bag.asn1, source));
  if (certificates.length === 0) {
    throw credentialsFailure(source, 'NO_CERTIFICATE', 'the .p12 holds a private key but no certificate');
  }
  return pairCredentials(certificates, key, source);
}

function openP12(bytes: Buffer, passphrase: string | undefined, source: string): forge.pkcs12.Pkcs12Pfx {
  let parsed: forge.asn1.Asn1;
  try {
    parsed = asn1.fromDer(bytes.toString('binary'), false);
  } catch (cause) {
    throw credentialsFailure(source, 'UNREADABLE', 'is not a PKCS#12 (.p12) file: not DER', cause);
  }
  // Keychain and OpenSSL encode an empty password as "" (two zero bytes); some tools mean no password at all.
  const candidates: (string | null)[] = passphrase === undefined ? ['', null] : [passphrase];
  let failure: CredentialsError | undefined;
  for (const candidate of candidates) {
    try {
      // forge's typings omit `null`, which its PKCS#12 key derivation reads as "no password".
      return pkcs12.pkcs12FromAsn1(parsed, false, candidate as string);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      if (!WRONG_PASSWORD.test(message)) {
        throw credentialsFailure(source, 'UNREADABLE', `the .p12 could not be read: ${message}`, cause);
      }
      failure =
        passphrase === undefined
          ? credentialsFailure(
              source,
              'PASSPHRASE_REQUIRED',
              'the .p12 is passphrase-protected and none was given',
            )
          : credentialsFailure(source, 'WRONG_PASSPHRASE', 'wrong passphrase for the .p12', cause);
    }
  }
  throw failure!;
}
