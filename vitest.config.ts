import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import every @pushfleet/* package from its source, so they need no build (the tRPC way): each
// workspace's `exports` map, with `dist/*.js` read as `src/*.ts`.
const workspaces = [
  ...['packages', 'apps'].flatMap((dir) => readdirSync(here(`./${dir}`)).map((name) => `./${dir}/${name}`)),
  './deploy',
];
const alias = workspaces.flatMap((dir) => {
  const pkg = JSON.parse(readFileSync(here(`${dir}/package.json`), 'utf8')) as {
    name: string;
    exports?: Record<string, { default: string }>;
  };
  const entries = Object.entries(pkg.exports ?? { '.': { default: './dist/index.js' } });
  return entries.map(([subpath, target]) => ({
    find: new RegExp(`^${pkg.name}${subpath === '.' ? '' : subpath.slice(1)}$`),
    replacement: here(`${dir}/${target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`),
  }));
});

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
      project('h2', 'packages/h2/src'),
      project('credentials', 'packages/credentials/src'),
      project('apns', 'packages/apns/src'),
      project('apns-legacy', 'packages/apns-legacy/src'),
      project('queue', 'packages/queue/src'),
      project('config', 'packages/config/src'),
      project('metrics', 'packages/metrics/src'),
      project('log', 'packages/log/src'),
      project('simulator', 'packages/simulator/src'),
      project('worker', 'apps/worker/src'),
      project('api', 'apps/api/src'),
      project('cli', 'apps/cli/src'),
      project('test', 'test/src'),
    ],
  },
});
