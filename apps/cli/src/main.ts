#!/usr/bin/env node
/**
 * `pushfleet`: one command line for people.
 *
 *   pushfleet start [--demo N] [--data-dir DIR] [--api-port P] [--metrics-port P]
 *   pushfleet simulator [--port P] [--certificate-port P] [fault options...]
 *   pushfleet doctor [--config FILE]
 *   pushfleet dlq list|show|retry|purge APP ...  |  pushfleet reactivate APP TOKEN
 *   pushfleet cert inspect|convert ...
 *   pushfleet help
 */
import { parseArgs } from 'node:util';
import { configuredApps, localSimulatorEndpoint, simulatorEndpointFromEnv } from '@pushfleet/config';
import { runCertCommand } from './cert/index.js';
import { simulatorCaFile } from './data-dir.js';
import { DLQ_USAGE, DlqUsageError, runDlqCommand } from './dlq-command.js';
import { runDoctor } from './doctor.js';
import { runReactivate } from './reactivate.js';
import { runResume } from './resume.js';
import { runSimulatorCommand, SIMULATOR_USAGE } from './simulator-command.js';
import { runStart } from './start.js';

const USAGE = `usage: pushfleet <command> [options]

commands:
  start       run the fleet locally: Redis, APNs simulator (unless APNS_KEY_FILE is set), worker, HTTP API
              --demo N          also enqueue N demo notifications, wait for them and exit
              --data-dir DIR    Redis data, simulator credentials and logs (default .data)
              --api-port P      HTTP API port (default 8080, or a free one)
              --metrics-port P  worker /metrics port (default 9464, or a free one)
${SIMULATOR_USAGE}  doctor      check every configured app: credentials, expiry, TLS + HTTP/2 handshake, a test request
              --config FILE     the fleet config (default: $PUSHFLEET_CONFIG, else the APNS_* variables)
  resume APP  resume an app paused because APNs refused its credentials (after fixing them)
              --redis-url URL   default $REDIS_URL
  dlq         list, show, retry or purge an app's dead-letter list (pushfleet dlq --help)
  reactivate APP TOKEN  the device registered this token again: stop suppressing sends to it
              --redis-url URL   default $REDIS_URL
  cert        inspect a certificate, .p12 or .p8; convert .cer/.p12 to PEM (pushfleet cert --help)
  help        this text
`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: "${value}" is not a whole number`);
  return n;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({
        args: rest,
        options: {
          demo: { type: 'string' },
          'data-dir': { type: 'string' },
          'api-port': { type: 'string' },
          'metrics-port': { type: 'string' },
        },
        strict: true,
      });
      const demo = positiveInt('demo', values.demo);
      const apiPort = positiveInt('api-port', values['api-port']);
      const metricsPort = positiveInt('metrics-port', values['metrics-port']);
      return runStart({
        ...(demo !== undefined ? { demo } : {}),
        ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
        ...(apiPort !== undefined ? { apiPort } : {}),
        ...(metricsPort !== undefined ? { metricsPort } : {}),
      });
    }
    case 'simulator':
      return runSimulatorCommand(rest);
    case 'doctor': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } }, strict: true });
      const env = values.config ? { ...process.env, PUSHFLEET_CONFIG: values.config } : process.env;
      const simulator = simulatorEndpointFromEnv(env, localSimulatorEndpoint(simulatorCaFile()));
      return runDoctor(configuredApps(env), { env, simulator });
    }
    case 'resume': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { 'redis-url': { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const app = positionals[0];
      if (!app || positionals.length > 1) throw new UsageError('resume takes one app name');
      const url = values['redis-url'] ?? process.env.REDIS_URL;
      if (!url) throw new UsageError('resume needs --redis-url or REDIS_URL');
      return runResume(url, app);
    }
    case 'dlq':
      return runDlqCommand(rest);
    case 'reactivate': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { 'redis-url': { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      const [app, token] = positionals;
      if (!app || !token || positionals.length > 2)
        throw new UsageError('reactivate takes an app and a token');
      const url = values['redis-url'] ?? process.env.REDIS_URL;
      if (!url) throw new UsageError('reactivate needs --redis-url or REDIS_URL');
      return runReactivate(url, app, token);
    }
    case 'cert':
      return runCertCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DlqUsageError) {
      process.stderr.write(`pushfleet: ${err.message}\n\n${DLQ_USAGE}`);
      process.exit(2);
    }
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`pushfleet: ${(err as Error).message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exit(usage ? 2 : 1);
  },
);
