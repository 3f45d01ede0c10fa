/** `pushfleet feedback APP`: the dead tokens recorded for an app (stop sending to them), oldest first. */
import { parseArgs } from 'node:util';
import { connectRedis, readFeedback } from '@pushfleet/queue';
import { redisUrlOf, UsageError, wholeNumber } from './cli-options.js';

export const FEEDBACK_USAGE = `usage: pushfleet feedback APP [--since ID] [--limit N] [--json] [--redis-url URL]

  the dead device tokens recorded for APP, oldest first: token, Apple's reason, when, source
  --since ID        read after this entry (the "next" a previous page printed)
  --limit N         at most N entries (default 100)
  --json            one JSON object per line
  --redis-url URL   the fleet's Redis (default $REDIS_URL, or the running \`pushfleet start\`'s)
`;

type Out = { write(s: string): unknown };

export async function runFeedback(args: string[], out: Out = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      'redis-url': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [app, extra] = positionals;
  if (!app || extra !== undefined) throw new UsageError('feedback takes one app name');
  const limit = wholeNumber('limit', values.limit, 1, 100_000) ?? 100;
  if (values.since !== undefined && !/^\d+-\d+$/.test(values.since))
    throw new UsageError(`--since: "${values.since}" is not an entry id (like 1700000000000-0)`);
  const { client } = connectRedis(redisUrlOf(values['redis-url'], 'feedback'));
  try {
    const entries = await readFeedback(client, app, values.since ?? '0', limit);
    for (const e of entries) {
      out.write(
        values.json
          ? `${JSON.stringify(e)}\n`
          : `${e.token}  ${e.reason.padEnd(22)}  ${new Date(e.timestamp).toISOString()}  ${e.source}${e.topic ? `  ${e.topic}` : ''}\n`,
      );
    }
    if (!values.json) {
      out.write(`${entries.length} dead token${entries.length === 1 ? '' : 's'} for ${app}`);
      out.write(entries.length === limit ? `; more: --since ${entries[entries.length - 1]!.id}\n` : '\n');
    }
    return 0;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
