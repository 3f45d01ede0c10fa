import {
  type CertificateCredentials,
  type CertificateInfo,
  type CredentialFormat,
  CredentialsError,
  certificatePem,
  detectCredentialFormat,
  inspectCertificate,
  loadP12,
  loadPemCredentials,
  loadSigningKey,
  readCredentialFile,
} from '@pushfleet/credentials';

/** What a credentials file turned out to hold. */
export type CredentialsInput =
  /** A certificate, with its key when the file (or --key) had one. */
  | {
      readonly kind: 'certificate';
      readonly format: CredentialFormat;
      readonly info: CertificateInfo;
      /** The certificate, PEM. */
      readonly certPem: string;
      /** Set when a key was loaded and matched: unencrypted PKCS#8 PEM, in memory only. */
      readonly credentials?: CertificateCredentials | undefined;
    }
  /** A token-auth `.p8` signing key (EC P-256). */
  | { readonly kind: 'signing-key'; readonly format: CredentialFormat; readonly keyId: string | undefined };

export interface ReadCredentialsOptions {
  readonly keyFile?: string | undefined;
  readonly passphrase?: string | undefined;
  readonly now: Date;
}

/**
 * Read FILE (and --key), sniffing the format from the content: `.p12`, PEM certificate or ck.pem, DER `.cer`,
 * or a `.p8`. A certificate without a key, or with a key that does not match, is described, not refused.
 * @throws CredentialsError naming the file when it cannot be read.
 */
export async function readCredentialsInput(
  file: string,
  options: ReadCredentialsOptions,
): Promise<CredentialsInput> {
  const bytes = await readCredentialFile(file);
  const format = detectCredentialFormat(bytes);
  const key = options.keyFile === undefined ? undefined : await readCredentialFile(options.keyFile);
  switch (format) {
    case 'p12': {
      if (options.keyFile !== undefined) {
        throw new CredentialsError(
          options.keyFile,
          'a .p12 carries its own key; --key is for PEM or .cer input',
          {
            code: 'UNREADABLE',
          },
        );
      }
      const credentials = loadP12(bytes, options.passphrase, file);
      return {
        kind: 'certificate',
        format,
        info: credentials.certificate,
        certPem: credentials.certPem,
        credentials,
      };
    }
    case 'pem-certificate':
    case 'der-certificate': {
      const info = inspectCertificate(bytes, {
        source: file,
        now: options.now,
        ...(key === undefined ? {} : { keyPem: key }),
        ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      });
      const credentials = info.keyMatches
        ? loadPemCredentials(bytes, key, options.passphrase, file, options.keyFile ?? file)
        : undefined;
      const certPem = credentials?.certPem ?? certificatePem(bytes, file);
      return { kind: 'certificate', format, info, certPem, credentials };
    }
    case 'pem-key': {
      loadSigningKey(bytes, file);
      return { kind: 'signing-key', format, keyId: /AuthKey_([A-Z0-9]{10})\.p8$/.exec(file)?.[1] };
    }
    default:
      throw new CredentialsError(
        file,
        'is not a certificate, .p12 or .p8 (neither PEM nor DER PKCS#12 / X.509)',
        { code: 'UNREADABLE' },
      );
  }
}
