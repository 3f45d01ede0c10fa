#!/usr/bin/env node
/**
 * `pushfleet`: one command line for people. Every command answers `--help` (exit 0); a mistake on the
 * command line prints what to type instead and exits 2; a failure prints one line saying what went wrong
 * (no stack trace) and exits 1.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { configuredApps, localSimulatorEndpoint, simulatorEndpointFromEnv } from '@pushfleet/config';
import { ValidationError } from '@pushfleet/queue';
import { API_KEY_USAGE, runApiKey } from './api-key-command.js';
import { runAppProcess } from './app-process.js';
import { BOARD_USAGE, runBoard } from './board-command.js';
import { CERT_USAGE, runCertCommand } from './cert/index.js';
import { CHANNELS_USAGE, runChannels } from './channels-command.js';
import { portOption, readRunningFleet, redisUrlOf, UsageError, wholeNumber } from './cli-options.js';
import { simulatorCaFile } from './data-dir.js';
import { DLQ_USAGE, DlqUsageError, runDlqCommand } from './dlq-command.js';
import { runDoctor } from './doctor.js';
import { FEEDBACK_USAGE, runFeedback } from './feedback-command.js';
import { runReactivate } from './reactivate.js';
import { runResume } from './resume.js';
import { runSend, SEND_USAGE } from './send-command.js';
import { runSimulatorCommand, SIMULATOR_USAGE } from './simulator-command.js';
import { runStart } from './start.js';
import { runStatus, STATUS_USAGE } from './status-command.js';

const REDIS_FLAG =
  "  --redis-url URL   the fleet's Redis (default $REDIS_URL, or the running `pushfleet start`'s)\n";

interface Command {
  /** One line for `pushfleet --help`. */
  readonly summary: string;
  /** The command's own help. */
  readonly usage: string;
  readonly run: (args: string[]) => Promise<number>;
}

const START_USAGE = `usage: pushfleet start [--demo N] [--data-dir DIR] [--api-port P] [--metrics-port P]

  run the fleet locally: Redis (unless REDIS_URL is set), the APNs simulator (unless APNS_KEY_FILE or
  PUSHFLEET_CONFIG configures Apple), a worker and the HTTP API; prints where each listens and a local
  API key. A worker or API that dies is restarted (and why it died is printed); Ctrl-C stops it all.
  --demo N          also enqueue N demo notifications, wait for them and exit (0 when all were delivered);
                    against the simulator, 5,000 more go first as a warm-up, not counted
  --data-dir DIR    Redis data, simulator credentials, the API key and logs (default .data)
  --api-port P      HTTP API port (default 8080, or a free one if taken; 0 = a free one)
  --metrics-port P  worker /metrics port (default 9464, or a free one if taken)
`;

const PROCESS_USAGE = (name: string, what: string, env: string) => `usage: pushfleet ${name}

  ${what}, in the foreground (Ctrl-C stops it), configured by environment variables:
${env}`;

const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'run the whole fleet locally (Redis, simulator, worker, API)',
    usage: START_USAGE,
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: {
          demo: { type: 'string' },
          'data-dir': { type: 'string' },
          'api-port': { type: 'string' },
          'metrics-port': { type: 'string' },
        },
        strict: true,
      });
      const demo = wholeNumber('demo', values.demo);
      const apiPort = portOption('api-port', values['api-port']);
      const metricsPort = portOption('metrics-port', values['metrics-port']);
      return runStart({
        ...(demo !== undefined ? { demo } : {}),
        ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
        ...(apiPort !== undefined ? { apiPort } : {}),
        ...(metricsPort !== undefined ? { metricsPort } : {}),
      });
    },
  },
  worker: {
    summary: 'run worker processes, one per core by default (scale further by running more machines)',
    usage: `${PROCESS_USAGE(
      'worker',
      'worker processes: each takes jobs from every app queue and sends them to APNs',
      '  REDIS_URL or REDIS_CLUSTER_NODES (required), PUSHFLEET_CONFIG or the APNS_* variables (docs/configuration.md),\n  PUSHFLEET_METRICS_HOST/PORT (default 127.0.0.1:9464; process i serves on PORT + i), PUSHFLEET_CONCURRENCY (default 256)\n',
    )}\noptions:\n  --processes N   how many worker processes (default: one per core, ${availableParallelism()} here)\n`,
    run: async (args) => {
      const { values } = parseArgs({ args, options: { processes: { type: 'string' } }, strict: true });
      const processes = values.processes === undefined ? availableParallelism() : Number(values.processes);
      if (!Number.isInteger(processes) || processes < 1 || processes > 256)
        throw new UsageError(`--processes: "${values.processes}" is not a whole number from 1 to 256`);
      const base = Number(process.env.PUSHFLEET_METRICS_PORT ?? 9464);
      // Each process its own /metrics port (a free one each when the base is 0), for Prometheus to scrape.
      return runAppProcess('worker', {}, processes, (i) => ({
        PUSHFLEET_METRICS_PORT: String(base === 0 ? 0 : base + i),
      }));
    },
  },
  api: {
    summary: 'run the HTTP API',
    usage: PROCESS_USAGE(
      'api',
      'the HTTP API (OpenAPI document at /openapi.json, browsable at /docs)',
      '  REDIS_URL or REDIS_CLUSTER_NODES (required), PUSHFLEET_CONFIG or PUSHFLEET_APP, PUSHFLEET_API_KEYS (id:sha256:apps; see\n  `pushfleet api-key`), PUSHFLEET_API_HOST/PORT (default 127.0.0.1:8080), PUSHFLEET_API_MAX_BODY_BYTES,\n  PUSHFLEET_API_MAX_BATCH (default 10000), PUSHFLEET_API_RATE_LIMIT (requests per minute per key, 1200)\n',
    ),
    run: async (args) => {
      parseArgs({ args, options: {}, strict: true });
      return runAppProcess('api');
    },
  },
  board: {
    summary: 'a web view of every app queue (Bull Board), behind the API keys',
    usage: BOARD_USAGE,
    run: runBoardWithLocalKeys,
  },
  simulator: {
    summary: 'run the APNs simulator alone and print the client settings to use',
    usage: `usage: pushfleet simulator [options]\n\n${SIMULATOR_USAGE.replace(/^ {2}simulator {3}/, '  ')}`,
    run: (args) => runSimulatorCommand(args),
  },
  send: {
    summary: 'send one test push to any configured app',
    usage: SEND_USAGE,
    run: (args) => runSend(args),
  },
  status: {
    summary: 'where a notification stands, by its id',
    usage: STATUS_USAGE,
    run: (args) => runStatus(args),
  },
  feedback: {
    summary: 'the dead device tokens recorded for an app',
    usage: FEEDBACK_USAGE,
    run: (args) => runFeedback(args),
  },
  channels: {
    summary: "list, create, delete or sync an app's broadcast channels",
    usage: CHANNELS_USAGE,
    run: (args) => runChannels(args),
  },
  dlq: {
    summary: "list, show, retry or purge an app's dead letters",
    usage: DLQ_USAGE,
    run: (args) => runDlqCommand(args),
  },
  reactivate: {
    summary: 'the device registered this token again: stop suppressing sends to it',
    usage: `usage: pushfleet reactivate APP TOKEN [--redis-url URL]\n\n  stop suppressing sends to TOKEN for APP (its device registered it again)\n${REDIS_FLAG}`,
    run: async (args) => {
      const { values, positionals } = parseArgs({
        args,
        options: { 'redis-url': { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const [app, token] = positionals;
      if (!app || !token || positionals.length > 2)
        throw new UsageError('reactivate takes an app and a token');
      return runReactivate(redisUrlOf(values['redis-url'], 'reactivate'), app, token);
    },
  },
  resume: {
    summary: 'resume an app paused because APNs refused its credentials',
    usage: `usage: pushfleet resume APP [--redis-url URL]\n\n  resume APP after fixing the credentials APNs refused (its held jobs run again)\n${REDIS_FLAG}`,
    run: async (args) => {
      const { values, positionals } = parseArgs({
        args,
        options: { 'redis-url': { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const app = positionals[0];
      if (!app || positionals.length > 1) throw new UsageError('resume takes one app name');
      return runResume(redisUrlOf(values['redis-url'], 'resume'), app);
    },
  },
  doctor: {
    summary: 'check every configured app: credentials, expiry, TLS + HTTP/2, a test request',
    usage:
      'usage: pushfleet doctor [--config FILE]\n\n  check every configured app: credentials, expiry, TLS + HTTP/2 handshake, a test request\n  --config FILE     the fleet config (default: $PUSHFLEET_CONFIG, else the APNS_* variables)\n',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { config: { type: 'string' } }, strict: true });
      const env = values.config ? { ...process.env, PUSHFLEET_CONFIG: values.config } : process.env;
      const simulator = simulatorEndpointFromEnv(env, localSimulatorEndpoint(simulatorCaFile()));
      return runDoctor(configuredApps(env), { env, simulator });
    },
  },
  cert: {
    summary: 'inspect a certificate, .p12 or .p8; convert .cer/.p12 to PEM',
    usage: CERT_USAGE,
    run: (args) => runCertCommand(args),
  },
  'api-key': {
    summary: 'make a new API key and print its config entry',
    usage: API_KEY_USAGE,
    run: (args) => runApiKey(args),
  },
};

/** `pushfleet board` beside `pushfleet start`: the local key opens it unless keys are configured. */
function runBoardWithLocalKeys(args: string[]): Promise<number> {
  const running = readRunningFleet() as { apiKeys?: string } | undefined;
  if (!process.env.PUSHFLEET_API_KEYS && !process.env.PUSHFLEET_CONFIG && running?.apiKeys)
    process.env.PUSHFLEET_API_KEYS = running.apiKeys;
  return runBoard(args);
}

const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
const USAGE = `usage: pushfleet <command> [options]     (pushfleet <command> --help for its options)

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}
  ${'help'.padEnd(width)}  this text
`;

const wantsHelp = (args: readonly string[]) => args.some((a) => a === '--help' || a === '-h');

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic?.usage ?? USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  // `--help` anywhere (`pushfleet dlq list --help`, `npm start -- --help`) is the command's help.
  if (wantsHelp(rest)) {
    process.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof DlqUsageError || isParseArgsError(err)) {
      process.stderr.write(`pushfleet ${name}: ${(err as Error).message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}

function isParseArgsError(err: unknown): boolean {
  return (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS') === true;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`pushfleet: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    // A failure, said in one line: what went wrong, never a stack trace.
    const message = err instanceof ValidationError ? err.message : ((err as Error)?.message ?? String(err));
    process.stderr.write(`pushfleet: ${message}\n`);
    process.exit(1);
  },
);
