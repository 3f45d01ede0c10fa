/**
 * The Dockerfile and deploy/compose.yaml, read back against the code (no container engine runs here):
 * stages, production dependencies, a non-root user and the /healthz health check; every service's command
 * exists in the built layout; ports, environment, volumes and Prometheus's scrape targets agree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OPS_PATHS, SHUTDOWN_DEADLINE_MS } from '@pushfleet/worker';
import { describe, expect, it } from 'vitest';
import { readText, readYaml, repoPath } from './deploy-files.js';

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}

const compose = readYaml<{ services: Record<string, Service>; volumes: Record<string, unknown> }>(
  'deploy/compose.yaml',
);
const services = compose.services;
/** The image's layout is the repository's (WORKDIR /app holds the tree, with dist/ from `npm run build`). */
const inImage = (path: string) => existsSync(repoPath(path));
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? Number.NaN);

describe('Dockerfile', () => {
  const steps = instructions(readText('Dockerfile'));
  const stages = steps.filter((s) => s.op === 'FROM');
  const finalStage = steps.slice(steps.lastIndexOf(stages.at(-1)!));

  it('builds in stages and ships production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.map((s) => / AS (\w+)$/i.exec(s.args)?.[1])).toEqual(['build', 'deps', 'runtime']);
    const installs = steps.filter((s) => s.op === 'RUN' && s.args.includes('npm install'));
    expect(installs.some((s) => s.args.includes('--omit=dev'))).toBe(true);
    // The runtime stage copies only from the production-dependency stage, never from the build stage.
    const copies = finalStage.filter((s) => s.op === 'COPY');
    expect(copies.map((c) => /--from=(\w+)/.exec(c.args)?.[1])).toEqual(['deps']);
  });

  it('runs as a non-root user, with a health check on the worker /healthz', () => {
    const user = finalStage.find((s) => s.op === 'USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const health = finalStage.find((s) => s.op === 'HEALTHCHECK')?.args ?? '';
    expect(health).toContain(OPS_PATHS.health);
    expect(health).toContain('PUSHFLEET_METRICS_PORT');
    const env = finalStage.find((s) => s.op === 'ENV')?.args ?? '';
    expect(env).toContain('PUSHFLEET_METRICS_HOST=0.0.0.0');
    const cmd = JSON.parse(finalStage.find((s) => s.op === 'CMD')!.args) as string[];
    expect(cmd[0]).toBe('node');
    expect(inImage(cmd[1]!), `${cmd[1]} (run npm run build)`).toBe(true);
  });

  it("runs a Node.js the package's engines allow, with NODE_OPTIONS that Node.js accepts", () => {
    const version = /^NODE_VERSION=(\d+)(?:\.(\d+))?/.exec(
      steps.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_VERSION='))?.args ?? '',
    );
    expect(version, 'ARG NODE_VERSION=<major>[.<minor>]').not.toBeNull();
    const engines = (JSON.parse(readText('package.json')) as { engines: { node: string } }).engines.node;
    const least = /^>=(\d+)\.(\d+)$/.exec(engines);
    expect(least, `engines.node ${engines}: this test reads only ">=major.minor"`).not.toBeNull();
    const [major, minor] = [Number(version![1]), Number(version![2] ?? 0)];
    const [leastMajor, leastMinor] = [Number(least![1]), Number(least![2])];
    expect(
      major > leastMajor || (major === leastMajor && minor >= leastMinor),
      `${version![0]} ${engines}`,
    ).toBe(true);
    // Node.js refuses to start on a flag NODE_OPTIONS may not carry, or on an unknown one.
    const env = finalStage.find((s) => s.op === 'ENV')?.args ?? '';
    const options = /NODE_OPTIONS=(\S+)/.exec(env)?.[1];
    expect(options, 'NODE_OPTIONS in the runtime ENV').toBeDefined();
    const run = spawnSync(process.execPath, ['-e', '0'], {
      env: { ...process.env, NODE_OPTIONS: options },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('copies only paths that exist in the build context', () => {
    for (const s of steps.filter((x) => x.op === 'COPY' && !x.args.includes('--from'))) {
      const parts = s.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) expect(existsSync(repoPath(src)), src).toBe(true);
    }
    const ignore = readText('.dockerignore');
    for (const never of ['**/node_modules', '**/.data', '*.p8', '*.p12']) expect(ignore).toContain(never);
  });
});

describe('deploy/compose.yaml', () => {
  it('runs Redis with AOF on and noeviction, on a volume', () => {
    const redis = services.redis!;
    const cmd = redis.command!.join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(redis.volumes).toContain('redis-data:/data');
    expect(Object.keys(compose.volumes)).toContain('redis-data');
  });

  it('has the API, three workers, the simulator, Prometheus and Grafana, each command in the built layout', () => {
    for (const name of ['redis', 'api', 'worker', 'simulator', 'prometheus', 'grafana'])
      expect(services[name], name).toBeDefined();
    expect(services.worker!.deploy?.replicas).toBe(3);
    for (const [name, s] of Object.entries(services)) {
      if (s.command?.[0] !== 'node') continue;
      const script = s.command.slice(1).find((a) => !a.startsWith('-'))!;
      expect(inImage(script), `${name}: ${script} (run npm run build)`).toBe(true);
    }
    // The simulator command is the CLI's `simulator` subcommand with flags it knows.
    const sim = services.simulator!.command!;
    expect(sim.slice(1, 3)).toEqual(['apps/cli/dist/main.js', 'simulator']);
    const usage = readText('apps/cli/src/simulator-command.ts');
    for (const flag of sim.filter((a) => a.startsWith('--')))
      expect(usage, flag).toMatch(new RegExp(`^\\s+'?${flag.slice(2)}'?: \\{ type:`, 'm'));
  });

  it("sets only environment variables the code reads, and points them at the other services' ports", () => {
    const sources = [
      'apps/worker/src/config.ts',
      'apps/api/src/main.ts',
      'apps/api/src/api-config.ts',
      'packages/config/src/env-config.ts',
      'packages/config/src/fleet-config.ts',
    ]
      .map(readText)
      .join('\n');
    for (const name of ['worker', 'api'])
      for (const key of Object.keys(services[name]!.environment ?? {}))
        expect(sources, `${name}: ${key} is read nowhere`).toContain(key);
    const worker = services.worker!.environment!;
    expect(worker.REDIS_URL).toBe('redis://redis:6379');
    expect(services.api!.environment!.REDIS_URL).toBe('redis://redis:6379');
    // The workers reach the simulator by its service name on the port it listens on, and trust its CA.
    const sim = services.simulator!.command!;
    const apns = new URL(worker.APNS_URL!);
    expect(apns.hostname).toBe('simulator');
    expect(apns.port).toBe(sim[sim.indexOf('--port') + 1]);
    const creds = services['simulator-credentials']!.command!;
    expect(creds[creds.indexOf('--host') + 1]).toBe('simulator');
    const dataDir = creds[creds.indexOf('--dir') + 1]!;
    const keyId = creds[creds.indexOf('--key-id') + 1]!;
    expect(worker.APNS_KEY_ID).toBe(keyId);
    expect(worker.APNS_KEY_FILE).toBe(`${dataDir}/AuthKey_${keyId}.p8`);
    expect(worker.APNS_CA_FILE).toBe(`${dataDir}/ca.pem`);
    expect(worker.APNS_TEAM_ID).toBe(creds[creds.indexOf('--team-id') + 1]);
    // ...through the volume the credentials were written to.
    const volumeAt = (s: Service, path: string) =>
      s.volumes?.find((v) => v.split(':')[1] === path)?.split(':')[0];
    expect(volumeAt(services.worker!, dataDir)).toBe(volumeAt(services['simulator-credentials']!, dataDir));
    expect(volumeAt(services.simulator!, dataDir)).toBe(
      volumeAt(services['simulator-credentials']!, dataDir),
    );
    // The API listens where its port is published and its health check looks.
    const apiPort = services.api!.environment!.PUSHFLEET_API_PORT!;
    expect(services.api!.ports).toContain(`${apiPort}:${apiPort}`);
    expect(services.api!.healthcheck!.test!.join(' ')).toContain(`:${apiPort}/healthz`);
  });

  it('gives workers longer to stop than their shutdown deadline, and starts them after Redis and the simulator', () => {
    expect(seconds(services.worker!.stop_grace_period!) * 1000).toBeGreaterThan(SHUTDOWN_DEADLINE_MS);
    expect(services.worker!.depends_on).toMatchObject({
      redis: { condition: 'service_healthy' },
      simulator: { condition: 'service_healthy' },
    });
    // The worker's health check is the image's (GET /healthz on PUSHFLEET_METRICS_PORT).
    expect(services.worker!.healthcheck).toBeUndefined();
  });

  it("scrapes every worker on its metrics port and loads the rules Prometheus's volume holds", () => {
    const prom = services.prometheus!;
    const mount = (target: string) => prom.volumes!.find((v) => v.split(':')[1] === target)?.split(':')[0];
    const configFile = mount('/etc/prometheus/prometheus.yml')!;
    expect(configFile).toBe('./prometheus/prometheus.yml');
    const config = readYaml<{
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        metrics_path: string;
        dns_sd_configs: { names: string[]; port: number }[];
      }[];
    }>(join('deploy', configFile));
    const job = config.scrape_configs.find((j) => j.job_name === 'pushfleet-worker')!;
    expect(job.metrics_path).toBe(OPS_PATHS.metrics);
    expect(job.dns_sd_configs[0]!.names).toEqual(['worker']);
    expect(String(job.dns_sd_configs[0]!.port)).toBe(services.worker!.environment!.PUSHFLEET_METRICS_PORT);
    expect(services.worker!.expose).toContain(String(job.dns_sd_configs[0]!.port));
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
    const rulesDir = mount('/etc/prometheus/rules')!;
    expect(
      readdirSync(repoPath(join('deploy', rulesDir)))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual(['pushfleet-alerts.yaml', 'pushfleet-recording.yaml']);
  });

  it('provisions Grafana with the Prometheus service and the generated dashboard', () => {
    const grafana = services.grafana!;
    const mount = (target: string) => grafana.volumes!.find((v) => v.split(':')[1] === target)?.split(':')[0];
    const provisioning = join('deploy', mount('/etc/grafana/provisioning')!);
    const ds = readYaml<{ datasources: { type: string; url: string; isDefault: boolean }[] }>(
      join(provisioning, 'datasources/prometheus.yaml'),
    ).datasources[0]!;
    expect(ds).toMatchObject({ type: 'prometheus', isDefault: true });
    const promPort = services.prometheus!.ports![0]!.split(':')[1];
    expect(ds.url).toBe(`http://prometheus:${promPort}`);
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(
      join(provisioning, 'dashboards/pushfleet.yaml'),
    ).providers[0]!;
    const dashboards = mount(provider.options.path)!;
    expect(existsSync(repoPath(join('deploy', dashboards, 'pushfleet.json')))).toBe(true);
  });
});
