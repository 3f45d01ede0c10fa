/**
 * The local fleet's simulator identity: a CA, a server certificate and a provider key (.p8) written once
 * under .data/simulator and reused, so clients configured against it keep working across restarts.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTestCredentials } from '@pushfleet/simulator';

export interface LocalSimulatorCredentials {
  readonly caPem: string;
  readonly caFile: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly keyFile: string;
  readonly keyId: string;
  readonly teamId: string;
  readonly publicKeyPem: string;
}

export async function ensureSimulatorCredentials(
  dir: string,
  bundleId: string,
): Promise<LocalSimulatorCredentials> {
  const manifestFile = join(dir, 'credentials.json');
  if (!existsSync(manifestFile)) await writeTestCredentials(dir, { bundleId });
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    ca: { cert: string };
    server: { cert: string; key: string };
    providerKey: { file: string; keyId: string; teamId: string };
  };
  const at = (p: string) => (p.startsWith('/') ? p : join(dir, p));
  const keyFile = at(manifest.providerKey.file);
  const keyPem = readFileSync(keyFile, 'utf8');
  return {
    caPem: readFileSync(at(manifest.ca.cert), 'utf8'),
    caFile: at(manifest.ca.cert),
    serverCertPem: readFileSync(at(manifest.server.cert), 'utf8'),
    serverKeyPem: readFileSync(at(manifest.server.key), 'utf8'),
    keyFile,
    keyId: manifest.providerKey.keyId,
    teamId: manifest.providerKey.teamId,
    publicKeyPem: createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString(),
  };
}
