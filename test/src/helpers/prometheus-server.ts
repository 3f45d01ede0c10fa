/**
 * A real Prometheus for one test file: Debian's `prometheus` binary on a free loopback port, with its own
 * config and data directory under a temp dir (never the system service), scraping the given targets every
 * `scrapeIntervalS` and evaluating the given rule files. Dispose with `await using`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@pushfleet/queue/redis-server';
import { stringify } from 'yaml';

/** Path of the prometheus binary, or undefined when it is not installed. */
export function findPrometheus(): string | undefined {
  return spawnSync('sh', ['-c', 'command -v prometheus']).stdout?.toString().trim() || undefined;
}

export interface PrometheusOptions {
  /** job name → host:port targets (scraped at /metrics). */
  readonly jobs: Record<string, readonly string[]>;
  readonly ruleFiles?: readonly string[];
  /** @defaultValue 1 */
  readonly scrapeIntervalS?: number;
}

export interface PrometheusServer extends AsyncDisposable {
  readonly url: string;
  /** Instant query; resolves the result vector (throws on a query error). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  close(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = findPrometheus();
  if (!binary) throw new Error('prometheus is not installed: apt-get install -y prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'pushfleet-prometheus-'));
  const interval = `${options.scrapeIntervalS ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: [...(options.ruleFiles ?? [])],
    scrape_configs: Object.entries(options.jobs).map(([job, targets]) => ({
      job_name: job,
      static_configs: [{ targets: [...targets] }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${output}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready within 20 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    })());
  const query = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data?.result ?? [];
  };
  return { url, query, close, [Symbol.asyncDispose]: close };
}
