import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CertificateCredentials } from './certificate-credentials.js';
import { credentialsFailure } from './credentials-failure.js';
import { loadP12 } from './load-p12.js';
import { loadPemCredentials } from './load-pem-credentials.js';
import { loadSigningKey } from './signing-key.js';

/** Files of {@link loadCredentialsFromFiles}: a `.p12`, or a certificate (PEM / DER) with an optional key file. */
export interface CredentialFiles {
  /** A PKCS#12 export (`.p12` / `.pfx`). Exclusive with `cert`. */
  readonly p12?: string | undefined;
  /** A certificate: PEM, DER `.cer`, or a ck.pem holding the key as well. */
  readonly cert?: string | undefined;
  /** The certificate's PEM private key, when not inside `cert`. */
  readonly key?: string | undefined;
  /** Pass phrase of the .p12 or of an encrypted key. Never echoed. */
  readonly passphrase?: string | undefined;
}

/**
 * Read credentials files and load them with {@link loadP12} or {@link loadPemCredentials}
 * (apns2's `FromP12File` → `FromP12Bytes`). Errors name the file.
 * @throws CredentialsError as the loaders do, and UNREADABLE for a file that cannot be read.
 */
export async function loadCredentialsFromFiles(files: CredentialFiles): Promise<CertificateCredentials> {
  if (files.p12 !== undefined && (files.cert !== undefined || files.key !== undefined)) {
    throw credentialsFailure(
      'credentials',
      'UNREADABLE',
      'give either a .p12 or a certificate and key, not both',
    );
  }
  if (files.p12 !== undefined)
    return loadP12(await readCredentialFile(files.p12), files.passphrase, files.p12);
  if (files.cert === undefined) {
    throw credentialsFailure(
      'credentials',
      'NO_CERTIFICATE',
      'give a .p12, or a certificate file (and its key)',
    );
  }
  const cert = await readCredentialFile(files.cert);
  const key = files.key === undefined ? undefined : await readCredentialFile(files.key);
  return loadPemCredentials(cert, key, files.passphrase, files.cert, files.key ?? files.cert);
}

/** {@link loadP12} of a file. */
export async function loadP12File(path: string, passphrase?: string): Promise<CertificateCredentials> {
  return loadP12(await readCredentialFile(path), passphrase, path);
}

/** `loadSigningKey` of a `.p8` file: EC P-256 PKCS#8, else a CredentialsError naming the file. */
export async function loadSigningKeyFile(path: string): Promise<KeyObject> {
  return loadSigningKey(await readCredentialFile(path), path);
}

/** A file's bytes, or a CredentialsError naming it (`ENOENT` → "no such file"). */
export async function readCredentialFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (code ?? 'read failed');
    throw credentialsFailure(path, 'UNREADABLE', `cannot be read: ${why}`, cause);
  }
}
