import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import every @pushfleet/* package from its source, so they need no build (the tRPC way).
const alias = [
  { find: /^@pushfleet\/queue\/redis-server$/, replacement: here('./packages/queue/src/redis-server.ts') },
  {
    find: /^@pushfleet\/simulator\/certificates$/,
    replacement: here('./packages/simulator/src/certs/index.ts'),
  },
  { find: /^@pushfleet\/(apns|queue|metrics|simulator)$/, replacement: here('./packages/$1/src/index.ts') },
  { find: /^@pushfleet\/(worker|api|cli)$/, replacement: here('./apps/$1/src/index.ts') },
];

const project = (name: string, dir: string) => ({
  extends: true as const,
  test: { name, include: [`${dir}/**/*.test.ts`] },
});

export default defineConfig({
  resolve: { alias },
  test: {
    // 2 cores: two files at once, each with its own redis-server on a free port.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 10_000,
    hookTimeout: 60_000,
    projects: [
      project('apns', 'packages/apns/src'),
      project('queue', 'packages/queue/src'),
      project('metrics', 'packages/metrics/src'),
      project('simulator', 'packages/simulator/src'),
      project('worker', 'apps/worker/src'),
      project('api', 'apps/api/src'),
      project('cli', 'apps/cli/src'),
      project('test', 'test/src'),
    ],
  },
});
