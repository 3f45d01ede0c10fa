/**
 * Write a complete set of throwaway credentials to a directory, every file mode 0600:
 *
 *   ca.pem                          the CA the client must trust (and the simulator checks client certs with)
 *   server-cert.pem, server-key.pem the simulator's TLS identity
 *   client-<bundle>.pem             Apple-shaped push client certificate
 *   client-<bundle>-key.pem         its private key (PKCS#8)
 *   client-<bundle>.p12             key + certificate + CA, 3DES, passphrase-protected
 *   client-<bundle>.p12.pass        the passphrase, one line (for `openssl pkcs12 -passin file:...`)
 *   AuthKey_<KEYID>.p8              token-auth key, EC P-256 PKCS#8
 *   credentials.json                the manifest below (file names relative to the directory)
 *
 * The CA key is not written: these files configure a client and a simulator, nothing more.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createApnsClientCertificate } from './apns-client-certificate.js';
import type { CertificateEnvironment } from './apple-oids.js';
import { createCertificateAuthority } from './certificate-authority.js';
import { createProviderKey } from './provider-key.js';
import { createServerCertificate } from './server-certificate.js';

export interface TestCredentialsOptions {
  /** @defaultValue `'com.example.pushfleet'` */
  readonly bundleId?: string | undefined;
  /** Shared by the client certificate (OU) and the provider key. @defaultValue random */
  readonly teamId?: string | undefined;
  /** @defaultValue random */
  readonly keyId?: string | undefined;
  /** Environments of the client certificate. @defaultValue `['development', 'production']` */
  readonly environments?: readonly CertificateEnvironment[] | undefined;
  /** Hosts of the server certificate. @defaultValue `['localhost', '127.0.0.1', '::1']` */
  readonly hosts?: readonly string[] | undefined;
  /** Passphrase of the `.p12`. @defaultValue random */
  readonly passphrase?: string | undefined;
}

/** The `credentials.json` manifest. */
export interface TestCredentialsManifest {
  readonly version: 1;
  readonly createdAt: string;
  readonly bundleId: string;
  readonly teamId: string;
  readonly keyId: string;
  readonly passphrase: string;
  readonly ca: { readonly cert: string };
  readonly server: { readonly cert: string; readonly key: string; readonly hosts: readonly string[] };
  readonly client: {
    readonly cert: string;
    readonly key: string;
    readonly p12: string;
    readonly passphraseFile: string;
    readonly passphrase: string;
    readonly environments: readonly CertificateEnvironment[];
    readonly topics: readonly string[];
  };
  readonly providerKey: { readonly file: string; readonly keyId: string; readonly teamId: string };
}

export interface TestCredentials {
  /** Absolute directory the files were written to. */
  readonly dir: string;
  readonly manifest: TestCredentialsManifest;
  /** Absolute path of `credentials.json`. */
  readonly manifestPath: string;
}

export const CREDENTIALS_MANIFEST = 'credentials.json';
const FILE_MODE = 0o600;

export async function writeTestCredentials(
  dir: string,
  options: TestCredentialsOptions = {},
): Promise<TestCredentials> {
  const bundleId = options.bundleId ?? 'com.example.pushfleet';
  if (!/^[A-Za-z0-9.-]+$/.test(bundleId)) {
    throw new TypeError(
      `writeTestCredentials: bundleId "${bundleId}" may hold only A-Z, a-z, 0-9, '.' and '-'`,
    );
  }
  const providerKey = createProviderKey({ keyId: options.keyId, teamId: options.teamId });
  const ca = createCertificateAuthority();
  const hosts = options.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const server = createServerCertificate(ca, { hosts });
  const client = createApnsClientCertificate(ca, {
    bundleId,
    teamId: providerKey.teamId,
    environments: options.environments,
    passphrase: options.passphrase,
  });

  const manifest: TestCredentialsManifest = {
    version: 1,
    createdAt: new Date().toISOString(),
    bundleId,
    teamId: providerKey.teamId,
    keyId: providerKey.keyId,
    passphrase: client.passphrase,
    ca: { cert: 'ca.pem' },
    server: { cert: 'server-cert.pem', key: 'server-key.pem', hosts },
    client: {
      cert: `client-${bundleId}.pem`,
      key: `client-${bundleId}-key.pem`,
      p12: `client-${bundleId}.p12`,
      passphraseFile: `client-${bundleId}.p12.pass`,
      passphrase: client.passphrase,
      environments: client.environments,
      topics: client.topics,
    },
    providerKey: {
      file: `AuthKey_${providerKey.keyId}.p8`,
      keyId: providerKey.keyId,
      teamId: providerKey.teamId,
    },
  };

  const root = resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const files: [string, string | Buffer][] = [
    [manifest.ca.cert, ca.certPem],
    [manifest.server.cert, server.certPem],
    [manifest.server.key, server.keyPem],
    [manifest.client.cert, client.certPem],
    [manifest.client.key, client.keyPem],
    [manifest.client.p12, client.p12],
    [manifest.client.passphraseFile, `${client.passphrase}\n`],
    [manifest.providerKey.file, providerKey.privateKeyPem],
    [CREDENTIALS_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`],
  ];
  for (const [name, content] of files) {
    const path = join(root, name);
    await writeFile(path, content, { mode: FILE_MODE });
    await chmod(path, FILE_MODE); // writeFile's mode applies only when it creates the file
  }
  return { dir: root, manifest, manifestPath: join(root, CREDENTIALS_MANIFEST) };
}
