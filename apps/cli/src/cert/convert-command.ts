import { parseArgs } from 'node:util';
import { CredentialsError, encodePrivateKeyPem, findCertificateProblems } from '@pushfleet/credentials';
import { type CertCommandIo, CertUsageError, passphraseFromEnv } from './cert-io.js';
import { readCredentialsInput } from './read-credentials-input.js';
import { type OutputFile, OutputFileError, writeFilesAtomically } from './write-files-atomically.js';

const MIN_NEW_PASSPHRASE = 4;

/**
 * `pushfleet cert convert FILE [--key KEYFILE] [--passphrase-env VAR] [--out-cert OUT] [--out-key OUT]
 * [--combined OUT] [--new-passphrase-env VAR | --no-encrypt] [--force]`: the manual openssl steps
 * (docs/protocol/certificates.md, "The openssl pipeline `pushfleet cert convert` replaces") in one command.
 * Everything is read and checked before anything is written.
 */
export async function runConvert(args: string[], io: CertCommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      key: { type: 'string' },
      'passphrase-env': { type: 'string' },
      'out-cert': { type: 'string' },
      'out-key': { type: 'string' },
      combined: { type: 'string' },
      'new-passphrase-env': { type: 'string' },
      'no-encrypt': { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [file, ...extra] = positionals;
  if (file === undefined) throw new CertUsageError('convert: FILE is missing');
  if (extra.length > 0) throw new CertUsageError(`convert: one FILE only (also got ${extra.join(' ')})`);
  const outCert = values['out-cert'];
  const outKey = values['out-key'];
  const combined = values.combined;
  if (outCert === undefined && outKey === undefined && combined === undefined) {
    throw new CertUsageError('convert: nothing to write; give --out-cert, --out-key and/or --combined');
  }
  const writesKey = outKey !== undefined || combined !== undefined;
  const noEncrypt = values['no-encrypt'];
  if (noEncrypt && values['new-passphrase-env'] !== undefined) {
    throw new CertUsageError('convert: --no-encrypt and --new-passphrase-env exclude each other');
  }
  if (writesKey && !noEncrypt && values['new-passphrase-env'] === undefined) {
    throw new CertUsageError(
      'convert: refusing to write an unencrypted private key; give --new-passphrase-env VAR, or --no-encrypt',
    );
  }
  const passphrase = passphraseFromEnv(io, 'passphrase-env', values['passphrase-env']);
  const newPassphrase = passphraseFromEnv(io, 'new-passphrase-env', values['new-passphrase-env']);
  if (newPassphrase !== undefined && newPassphrase.length < MIN_NEW_PASSPHRASE) {
    throw new CertUsageError(
      `--new-passphrase-env: the new pass phrase must be at least ${MIN_NEW_PASSPHRASE} characters`,
    );
  }
  const now = io.now?.() ?? new Date();

  try {
    const input = await readCredentialsInput(file, { keyFile: values.key, passphrase, now });
    if (input.kind === 'signing-key') {
      throw new CertUsageError(`convert: ${file} is a .p8 signing key; it needs no conversion`);
    }
    const { credentials, info } = input;
    if (writesKey && credentials === undefined) {
      const why = info.keyPresent
        ? 'its private key does not match the certificate'
        : 'it holds no private key';
      throw new CredentialsError(file, `cannot write --out-key or --combined: ${why}`, {
        code: info.keyPresent ? 'KEY_MISMATCH' : 'NO_PRIVATE_KEY',
      });
    }
    const keyPem =
      credentials && writesKey
        ? encodePrivateKeyPem(credentials.keyPem, { passphrase: newPassphrase, source: file })
        : undefined;
    const outputs: (OutputFile & { what: string })[] = [];
    if (outCert !== undefined) outputs.push({ path: outCert, content: input.certPem, what: 'certificate' });
    if (outKey !== undefined) outputs.push({ path: outKey, content: keyPem!, what: keyLabel(newPassphrase) });
    if (combined !== undefined) {
      outputs.push({
        path: combined,
        content: input.certPem + keyPem!,
        what: `certificate + ${keyLabel(newPassphrase)}`,
      });
    }
    for (const problem of findCertificateProblems(info, { requireKey: false, now })) {
      io.stderr(`warning: ${problem.message}\n`);
    }
    await writeFilesAtomically(outputs, { force: values.force });
    for (const output of outputs) io.stdout(`wrote ${output.path} (${output.what}, mode 0600)\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof CredentialsError) && !(error instanceof OutputFileError)) throw error;
    io.stderr(`pushfleet cert convert: ${error.message}\n`);
    return 1;
  }
}

function keyLabel(passphrase: string | undefined): string {
  return passphrase === undefined
    ? 'UNENCRYPTED private key'
    : 'private key encrypted with the new pass phrase';
}
