/**
 * The APNs simulator as `pushfleet start`'s child process: in a process of its own, so its TLS and HTTP/2 work
 * does not share the CLI's event loop with the demo's producer (in the CLI process it halved the demo's rate:
 * 8,392/s, against 12,210/s for bench:e2e with one simulator process). Counters only, never a record of every
 * request. Reads its credentials directory and topic from PUSHFLEET_SIMULATOR_DIR and _TOPIC, reports
 * `{ type: 'ready', url, managementUrl }` over IPC, and stops on SIGTERM, SIGINT or when the CLI goes away.
 */
import { startSimulator } from '@pushfleet/simulator';
import { ensureSimulatorCredentials } from './simulator-credentials.js';

const dir = process.env.PUSHFLEET_SIMULATOR_DIR;
const topic = process.env.PUSHFLEET_SIMULATOR_TOPIC;
if (!dir || !topic) {
  process.stderr.write('simulator: PUSHFLEET_SIMULATOR_DIR and PUSHFLEET_SIMULATOR_TOPIC are required\n');
  process.exit(1);
}
const creds = await ensureSimulatorCredentials(dir, topic);
const sim = await startSimulator({
  tls: { cert: creds.serverCertPem, key: creds.serverKeyPem, ca: creds.caPem },
  keys: [{ keyId: creds.keyId, teamId: creds.teamId, publicKeyPem: creds.publicKeyPem }],
  topics: [topic],
  record: 'counters',
});
process.send?.({ type: 'ready', url: sim.url, managementUrl: sim.managementUrl });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
