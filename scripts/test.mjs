// `npm test`: install what is missing (npm dependencies, redis-server), build, run every suite.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build, ensureNodeModules, ensureRedisServer, main, root } from './bootstrap.mjs';

main(() => {
  ensureNodeModules();
  ensureRedisServer();
  build();
  const r = spawnSync(join(root, 'node_modules', '.bin', 'vitest'), ['run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
});
