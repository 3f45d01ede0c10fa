/**
 * `pushfleet simulator`: the APNs simulator on its own, for testing a backend without Apple. Parses its own
 * flags (`SIMULATOR_OPTIONS`), prints the exact client settings for token and certificate auth plus
 * ready-to-paste curl lines, and runs until Ctrl-C (or `signal`).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CertificateEnvironment,
  type FaultConfig,
  type LatencyDistribution,
  type Simulator,
  signProviderToken,
  startSimulator,
  type TestCredentialsManifest,
} from '@pushfleet/simulator';
import { simulatorDir } from './data-dir.js';
import { createSimulatorAdmin } from './simulator-admin.js';
import { ensureSimulatorCredentials } from './simulator-credentials.js';

/** The `parseArgs` spec of `pushfleet simulator` (every value is a string; `parseSimulatorArgs` checks them). */
export const SIMULATOR_OPTIONS = {
  port: { type: 'string' },
  'certificate-port': { type: 'string' },
  'legacy-port': { type: 'string' },
  'feedback-port': { type: 'string' },
  'admin-port': { type: 'string' },
  'management-port': { type: 'string' },
  'dead-token': { type: 'string', multiple: true },
  host: { type: 'string' },
  dir: { type: 'string' },
  topic: { type: 'string' },
  environment: { type: 'string' },
  seed: { type: 'string' },
  'latency-ms': { type: 'string' },
  'latency-jitter-ms': { type: 'string' },
  'latency-distribution': { type: 'string' },
  'rate-429': { type: 'string' },
  'rate-500': { type: 'string' },
  'rate-503': { type: 'string' },
  'goaway-after': { type: 'string' },
  'goaway-every-ms': { type: 'string' },
  'reset-rate': { type: 'string' },
  'disconnect-rate': { type: 'string' },
  'window-size': { type: 'string' },
  'read-delay-ms': { type: 'string' },
  'refuse-connections-ms': { type: 'string' },
  'disconnect-after-errors': { type: 'string' },
} as const;

/** Flag help, for the CLI's usage text. */
export const SIMULATOR_USAGE = `  simulator   run the APNs simulator alone and print the client settings to use
              --port P                   token-auth HTTP/2 port (default 2197; 0 = a free port)
              --certificate-port P       certificate-auth port (default 2198; 0 = a free port)
              --legacy-port P            also run the legacy binary gateway (Apple's was 2195; 0 = a free port)
              --feedback-port P          also run the legacy feedback service (Apple's was 2196; 0 = a free port)
              --management-port P        the broadcast channel-management API (Apple: 2195/2196 on their own
                                         hosts; default 2200; 0 = a free port)
              --admin-port P             the admin endpoint: mark tokens dead, read the recorder as JSON
                                         (default 2199; 0 = a free port; see GET /recorder, POST /devices/TOKEN/dead)
              --dead-token HEX           answer 410 Unregistered for this token (repeat for more)
              --host H                   address to listen on (default 127.0.0.1)
              --dir DIR                  where its certificates and keys are written (default .data/simulator)
              --topic ID                 bundle id accepted (default com.example.pushfleet)
              --environment E            development (default) or production
              faults (all off by default; seeded, so a run repeats):
              --seed N                   PRNG seed (default 1)
              --latency-ms MS            delay before every answer
              --latency-jitter-ms MS     plus a random extra: uniform 0..MS, or exponential with mean MS
              --latency-distribution D   uniform (default) or exponential
              --rate-429 R, --rate-500 R, --rate-503 R   share (0..1) answered 429/500/503
              --goaway-after N           GOAWAY {"reason":"Shutdown"} when the Nth stream of a connection arrives
              --goaway-every-ms MS       GOAWAY each connection MS after it opened
              --reset-rate R             share of streams reset (RST_STREAM) without an answer
              --disconnect-rate R        share of streams whose connection is reset (TCP RST)
              --window-size B            SETTINGS_INITIAL_WINDOW_SIZE (default 65535)
              --read-delay-ms MS         hold each request body chunk MS before reading on
              --refuse-connections-ms MS reset new connections for MS after start
              --disconnect-after-errors N  GOAWAY after N 4xx answers on a connection
`;

export interface SimulatorCommandOptions {
  port?: number;
  certificatePort?: number;
  legacyPort?: number;
  feedbackPort?: number;
  adminPort?: number;
  managementPort?: number;
  deadTokens?: string[];
  host?: string;
  dir?: string;
  topic?: string;
  environment?: CertificateEnvironment;
  faults?: FaultConfig;
}

export interface SimulatorCommandIo {
  /** Where the settings are printed. @defaultValue stdout */
  readonly out?: ((line: string) => void) | undefined;
  /** Stops the simulator when aborted. @defaultValue SIGINT or SIGTERM */
  readonly signal?: AbortSignal | undefined;
  /** Called once the simulator listens (tests). */
  readonly onListening?: ((sim: Simulator) => void) | undefined;
}

/** A bad flag value; `code` makes the CLI print its usage text, as for parseArgs' own errors. */
class SimulatorArgsError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

export function parseSimulatorArgs(argv: readonly string[]): SimulatorCommandOptions {
  const { values: v } = parseArgs({ args: [...argv], options: SIMULATOR_OPTIONS, strict: true });
  type NumberFlag = Exclude<keyof typeof SIMULATOR_OPTIONS, 'dead-token'>;
  const num = (flag: NumberFlag, integer = false): number | undefined => {
    const raw = v[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      throw new SimulatorArgsError(
        `--${flag}: "${raw}" is not a ${integer ? 'whole number' : 'non-negative number'}`,
      );
    }
    return n;
  };
  const environment = v.environment;
  if (environment !== undefined && environment !== 'development' && environment !== 'production') {
    throw new SimulatorArgsError(`--environment: "${environment}" is not development or production`);
  }
  const distribution = v['latency-distribution'];
  if (distribution !== undefined && distribution !== 'uniform' && distribution !== 'exponential') {
    throw new SimulatorArgsError(`--latency-distribution: "${distribution}" is not uniform or exponential`);
  }
  const faults: { -readonly [K in keyof FaultConfig]: FaultConfig[K] } = {};
  const set = <K extends keyof FaultConfig>(key: K, value: FaultConfig[K] | undefined) => {
    if (value !== undefined) faults[key] = value;
  };
  set('seed', num('seed', true));
  set('latencyMs', num('latency-ms'));
  set('latencyJitterMs', num('latency-jitter-ms'));
  set('latencyDistribution', distribution as LatencyDistribution | undefined);
  set('rate429', num('rate-429'));
  set('rate500', num('rate-500'));
  set('rate503', num('rate-503'));
  set('goAwayAfterStreams', num('goaway-after', true));
  set('goAwayEveryMs', num('goaway-every-ms'));
  set('resetRate', num('reset-rate'));
  set('disconnectRate', num('disconnect-rate'));
  set('windowSize', num('window-size', true));
  set('readDelayMs', num('read-delay-ms'));
  set('refuseConnectionsMs', num('refuse-connections-ms'));
  set('disconnectAfterErrors', num('disconnect-after-errors', true));

  const options: SimulatorCommandOptions = {};
  const port = (flag: NumberFlag) => {
    const n = num(flag, true);
    if (n !== undefined && n > 65535)
      throw new SimulatorArgsError(
        `--${flag}: "${v[flag]}" is not a port; give 1-65535, or 0 for a free one`,
      );
    return n;
  };
  const ports = {
    port: port('port'),
    certificatePort: port('certificate-port'),
    legacyPort: port('legacy-port'),
    feedbackPort: port('feedback-port'),
    adminPort: port('admin-port'),
    managementPort: port('management-port'),
  };
  for (const [k, n] of Object.entries(ports)) if (n !== undefined) options[k as keyof typeof ports] = n;
  for (const token of v['dead-token'] ?? []) {
    if (!/^[0-9a-fA-F]{64,200}$/.test(token) || token.length % 2 !== 0)
      throw new SimulatorArgsError(`--dead-token: "${token}" is not a device token (64 to 200 hex digits)`);
    (options.deadTokens ??= []).push(token.toLowerCase());
  }
  if (v.host) options.host = v.host;
  if (v.dir) options.dir = v.dir;
  if (v.topic) options.topic = v.topic;
  if (environment !== undefined) options.environment = environment;
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

/** Run `pushfleet simulator` with its raw argv (or already parsed options). Resolves with the exit code. */
export async function runSimulatorCommand(
  args: readonly string[] | SimulatorCommandOptions,
  io: SimulatorCommandIo = {},
): Promise<number> {
  const options = Array.isArray(args) ? parseSimulatorArgs(args) : (args as SimulatorCommandOptions);
  const dir = resolve(options.dir ?? simulatorDir());
  const topic = options.topic ?? 'com.example.pushfleet';
  const environment = options.environment ?? 'development';
  const creds = await ensureSimulatorCredentials(dir, topic);
  const manifest = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8')) as TestCredentialsManifest;
  const at = (p: string) => (p.startsWith('/') ? p : join(dir, p));
  const sim = await startSimulator({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 2197,
    certificatePort: options.certificatePort ?? 2198,
    managementPort: options.managementPort ?? 2200,
    legacyPort: options.legacyPort ?? null,
    feedbackPort: options.feedbackPort ?? null,
    environment,
    tls: { cert: creds.serverCertPem, key: creds.serverKeyPem, ca: creds.caPem },
    keys: [{ keyId: creds.keyId, teamId: creds.teamId, publicKeyPem: creds.publicKeyPem }],
    topics: [topic],
    // Records kept (the newest 10,000 of each list) for the admin endpoint; counts are exact either way.
    record: 'all',
    recordLimit: 10_000,
    faults: options.faults,
  });
  for (const token of options.deadTokens ?? []) sim.devices.markDead(token);
  const admin = createSimulatorAdmin(sim);
  await new Promise<void>((resolveListen, reject) => {
    admin.once('error', reject);
    admin.listen(options.adminPort ?? 2199, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const adminAddress = admin.address() as AddressInfo;
  const adminUrl = `http://${(options.host ?? '127.0.0.1').includes(':') ? `[${options.host}]` : (options.host ?? '127.0.0.1')}:${adminAddress.port}`;
  const out = io.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const jwt = signProviderToken({
    keyId: creds.keyId,
    teamId: creds.teamId,
    privateKeyPem: readFileSync(creds.keyFile, 'utf8'),
  });
  const files = {
    ca: creds.caFile,
    clientCert: at(manifest.client.cert),
    clientKey: at(manifest.client.key),
    p12: at(manifest.client.p12),
    passphraseFile: at(manifest.client.passphraseFile),
  };
  const apple = environment === 'production' ? 'api.push.apple.com' : 'api.sandbox.push.apple.com';
  const device = 'a1'.repeat(32);
  const data = `'{"aps":{"alert":"Hello from pushfleet"}}'`;
  const common = `-H 'apns-topic: ${topic}' -H 'apns-push-type: alert' --data ${data}`;
  const lines = [
    `APNs simulator (${environment}) listening`,
    '',
    'token auth (provider token, .p8)',
    `  url            ${sim.url}   (instead of https://${apple})`,
    `  CA file        ${files.ca}   (NODE_EXTRA_CA_CERTS=${files.ca}, or curl --cacert)`,
    `  key file       ${creds.keyFile}`,
    `  key id         ${creds.keyId}`,
    `  team id        ${creds.teamId}`,
    `  topic          ${topic}`,
    '',
    'certificate auth (mutual TLS)',
    `  url            ${sim.certificateUrl}`,
    `  CA file        ${files.ca}`,
    `  client cert    ${files.clientCert}`,
    `  client key     ${files.clientKey}`,
    `  or .p12        ${files.p12}   (passphrase in ${files.passphraseFile})`,
    `  topic          ${topic}`,
    '',
    ...(sim.legacyUrl
      ? [
          'legacy binary gateway (certificate auth)',
          `  url            ${sim.legacyUrl}   (instead of gateway.push.apple.com:2195)`,
          '',
        ]
      : []),
    ...(sim.feedbackPort !== undefined
      ? [
          'legacy feedback service',
          `  url            tls://${options.host ?? '127.0.0.1'}:${sim.feedbackPort}`,
          '',
        ]
      : []),
    'broadcast channel management (token auth, as above)',
    `  url            ${sim.managementUrl}   (instead of https://api-manage-broadcast${environment === 'production' ? '' : '.sandbox'}.push.apple.com:${environment === 'production' ? 2196 : 2195})`,
    `  broadcasts     POST ${sim.url}/4/broadcasts/apps/${topic}`,
    '',
    `faults           ${describeFaults(options.faults)}`,
    `dead tokens      ${options.deadTokens?.length ? options.deadTokens.join(' ') : 'none (--dead-token HEX, or POST the admin endpoint)'}`,
    '',
    `admin            ${adminUrl}   (JSON: GET /recorder, POST /devices/TOKEN/dead, DELETE /devices/TOKEN)`,
    `  curl -s ${adminUrl}/recorder`,
    '',
    'try it (the bearer token is valid for one hour):',
    `  curl --http2 --cacert ${files.ca} -H 'authorization: bearer ${jwt}' ${common} ${sim.url}/3/device/${device}`,
    `  curl --http2 --cacert ${files.ca} --cert ${files.clientCert} --key ${files.clientKey} ${common} ${sim.certificateUrl}/3/device/${device}`,
    `  curl --http2 --cacert ${files.ca} -H 'authorization: bearer ${jwt}' --data '{"message-storage-policy": 1, "push-type": "LiveActivity"}' ${sim.managementUrl}/1/apps/${topic}/channels`,
    '',
    'Ctrl-C to stop.',
  ];
  for (const line of lines) out(line);
  io.onListening?.(sim);
  await new Promise<void>((done) => {
    if (io.signal) {
      if (io.signal.aborted) done();
      io.signal.addEventListener('abort', () => done(), { once: true });
      return;
    }
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  const { accepted, rejected } = sim.recorder.counters;
  await new Promise<void>((done) => admin.close(() => done()));
  admin.closeAllConnections();
  await sim.close();
  out(`stopped: ${accepted} accepted, ${rejected} rejected`);
  return 0;
}

function describeFaults(faults: FaultConfig | undefined): string {
  if (faults === undefined) return 'none (set them with --latency-ms, --rate-500, --goaway-after, ...)';
  return Object.entries(faults)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
