// `npm start [-- --demo N]`: install what is missing, build, and run `pushfleet start`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { build, ensureNodeModules, ensureRedisServer, main, root } from './bootstrap.mjs';

main(() => {
  ensureNodeModules();
  if (!process.env.REDIS_URL) ensureRedisServer();
  build();
  const child = spawn(
    process.execPath,
    [join(root, 'apps/cli/dist/main.js'), 'start', ...process.argv.slice(2)],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  // Ctrl-C reaches the child through the terminal's process group; don't die before it has cleaned up.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
});
