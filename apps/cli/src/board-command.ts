/** `pushfleet board`: Bull Board over every app's queue, behind the API keys (runs apps/api's board). */
import { parseArgs } from 'node:util';
import { runAppProcess } from './app-process.js';
import { portOption, redisUrlOf } from './cli-options.js';

export const BOARD_USAGE = `usage: pushfleet board [--port P] [--host H] [--allow-retry] [--redis-url URL]

  a web view of every app's queue (Bull Board): waiting, delayed, active, failed jobs and their data
  open it in a browser: user anything, password an API key for every app (\`pushfleet api-key\`);
  keys come from the fleet config's apiKeys or PUSHFLEET_API_KEYS, as for the API
  --port P          default 3030 (0 = a free one)
  --host H          default 127.0.0.1
  --allow-retry     let operators retry failed jobs (otherwise read-only)
  --redis-url URL   the fleet's Redis (default $REDIS_URL, or the running \`pushfleet start\`'s)
`;

export async function runBoard(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-retry': { type: 'boolean' },
      'redis-url': { type: 'string' },
    },
    strict: true,
  });
  const port = portOption('port', values.port);
  return runAppProcess('board', {
    REDIS_URL: redisUrlOf(values['redis-url'], 'board'),
    REDIS_CLUSTER_NODES: '', // the URL above carries a cluster too
    ...(port !== undefined ? { PUSHFLEET_BOARD_PORT: String(port) } : {}),
    ...(values.host ? { PUSHFLEET_BOARD_HOST: values.host } : {}),
    ...(values['allow-retry'] ? { PUSHFLEET_BOARD_ALLOW_RETRY: '1' } : {}),
  });
}
