/** Run the built `pushfleet` (apps/cli/dist, built by npm test) as a user would, with a clean environment. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));

/** Variables that would point the CLI at another fleet than the test's. */
const FLEET_VARIABLES = ['REDIS_URL', 'APNS_KEY_FILE', 'APNS_URL', 'PUSHFLEET_CONFIG', 'PUSHFLEET_API_KEYS'];

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const env = { ...process.env };
  for (const k of FLEET_VARIABLES) delete env[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
