/** Where the cert commands write and what they read from the environment; tests pass their own. */
export interface CertCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Pass phrases come only from here, by the name given on the command line. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @defaultValue `() => new Date()` */
  readonly now?: () => Date;
}

export const PROCESS_IO: CertCommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** A mistake on the command line: exit status 2 and the usage text. */
export class CertUsageError extends Error {
  override readonly name = 'CertUsageError';
}

/**
 * The value of the environment variable a `--…-env VAR` option names. The value is a secret: it is never
 * printed, and pass phrases are never taken from argv (they would show in `ps` and shell history).
 */
export function passphraseFromEnv(
  io: CertCommandIo,
  option: string,
  name: string | undefined,
): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new CertUsageError(`--${option}: "${name}" is not an environment variable name`);
  }
  const value = io.env[name];
  if (value === undefined) throw new CertUsageError(`--${option}: environment variable ${name} is not set`);
  return value;
}

/** Refuse `--passphrase=…`-style options before parsing, without echoing their value. */
export function refuseSecretsOnArgv(args: readonly string[]): void {
  for (const arg of args) {
    const name = /^--?([A-Za-z-]+)/.exec(arg)?.[1] ?? '';
    if (/^(new-)?(pass(word|phrase)?|passin|passout)$/i.test(name)) {
      throw new CertUsageError(
        `--${name}: pass phrases are read only from the environment; use --${name.startsWith('new-') ? 'new-' : ''}passphrase-env VAR`,
      );
    }
  }
}
