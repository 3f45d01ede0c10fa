/**
 * `pushfleet cert`: inspect and convert APNs certificates in-process (no openssl binary, no temp files for
 * secrets). `runCertCommand` takes the arguments after `cert` and returns the exit status; it prints its own
 * errors and never throws for bad input.
 */
import { type CertCommandIo, CertUsageError, PROCESS_IO, refuseSecretsOnArgv } from './cert-io.js';
import { runConvert } from './convert-command.js';
import { runInspect } from './inspect-command.js';

export type { CertCommandIo } from './cert-io.js';

export const CERT_USAGE = `usage: pushfleet cert <inspect|convert> [options]

  pushfleet cert inspect FILE [--key KEYFILE] [--passphrase-env VAR] [--json]
                              [--environment production|sandbox] [--topic TOPIC]...
      Show what FILE holds: subject, bundle id, team, topics, environments, issuer, validity and days left,
      whether the private key is present and matches, SHA-256 fingerprint, and the problems found.
      FILE                  .p12/.pfx, PEM certificate or ck.pem (certificate + key), DER .cer, or a .p8 key
      --key KEYFILE         the certificate's PEM private key, when FILE does not hold it
      --passphrase-env VAR  read the .p12 / private-key pass phrase from environment variable VAR
      --environment ENV     also check the certificate may connect to ENV (production or sandbox)
      --topic TOPIC         also check the certificate covers TOPIC (repeatable)
      --json                print one JSON object (on a read error: {"file","error":{"code","message"}})
      exit status: 0 no problem found, 1 a problem found or FILE unreadable, 2 usage error

  pushfleet cert convert FILE [--key KEYFILE] [--passphrase-env VAR]
                              [--out-cert OUT] [--out-key OUT] [--combined OUT]
                              [--new-passphrase-env VAR | --no-encrypt] [--force]
      The openssl steps in one command: DER .cer -> PEM certificate; .p12 (legacy RC2-40 too) or
      certificate + key -> PEM certificate, PEM private key, and the combined certificate + key PEM.
      --out-cert OUT            write the certificate, PEM
      --out-key OUT             write the private key, PKCS#8 PEM
      --combined OUT            write certificate + private key in one PEM (PHP's local_cert, "ck.pem")
      --new-passphrase-env VAR  encrypt the written key (AES-256) with the pass phrase in VAR
      --no-encrypt              write the key unencrypted (required to do so)
      --force                   replace existing files
      Files are written with mode 0600, all or none; existing files are kept unless --force.

  Pass phrases are read only from environment variables, never from the command line.
`;

/** Run `pushfleet cert …` with the arguments after `cert`; resolves to the exit status (0, 1, or 2 on usage). */
export async function runCertCommand(argv: string[], io: CertCommandIo = PROCESS_IO): Promise<number> {
  const [subcommand, ...args] = argv;
  try {
    refuseSecretsOnArgv(args);
    switch (subcommand) {
      case 'inspect':
        return await runInspect(args, io);
      case 'convert':
        return await runConvert(args, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        (subcommand === undefined ? io.stderr : io.stdout)(CERT_USAGE);
        return subcommand === undefined ? 2 : 0;
      default:
        throw new CertUsageError(`unknown subcommand "${subcommand}"`);
    }
  } catch (error) {
    const usage =
      error instanceof CertUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    if (!usage) throw error;
    io.stderr(`pushfleet cert: ${(error as Error).message}\n\n${CERT_USAGE}`);
    return 2;
  }
}
