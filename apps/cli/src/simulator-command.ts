/**
 * `pushfleet simulator`: the APNs simulator on its own, for testing a backend without Apple. Prints the
 * exact client settings (URL, CA file, key file, key id, team id, topic) and runs until Ctrl-C.
 */
import { resolve } from 'node:path';
import { startSimulator } from '@pushfleet/simulator';
import { ensureSimulatorCredentials } from './simulator-credentials.js';

export interface SimulatorCommandOptions {
  port?: number;
  host?: string;
  dir?: string;
  topic?: string;
}

export async function runSimulatorCommand(options: SimulatorCommandOptions): Promise<number> {
  const dir = resolve(options.dir ?? '.data/simulator');
  const topic = options.topic ?? 'com.example.pushfleet';
  const creds = await ensureSimulatorCredentials(dir, topic);
  const sim = await startSimulator({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 2197,
    tls: { cert: creds.serverCertPem, key: creds.serverKeyPem, ca: creds.caPem },
    keys: [{ keyId: creds.keyId, teamId: creds.teamId, publicKeyPem: creds.publicKeyPem }],
    topics: [topic],
    record: 'counters',
  });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`APNs simulator listening on ${sim.url}`);
  out('client settings:');
  out(`  url        ${sim.url}   (instead of https://api.push.apple.com:443)`);
  out(`  trust CA   ${creds.caFile}   (e.g. NODE_EXTRA_CA_CERTS=${creds.caFile})`);
  out(`  key file   ${creds.keyFile}`);
  out(`  key id     ${creds.keyId}`);
  out(`  team id    ${creds.teamId}`);
  out(`  topic      ${topic}`);
  out('Ctrl-C to stop.');
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
  await sim.close();
  return 0;
}
