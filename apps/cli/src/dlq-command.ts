/**
 * `pushfleet dlq list|show|retry|purge APP`: read and act on an app's dead-letter list (notifications the
 * retry policy gave up on, or that expired before APNs took them). `retry` re-drives them with their ids and
 * attempt history; `purge` removes them for good. `--broadcasts` lists and re-drives the app's other list:
 * broadcasts and channel operations given up on.
 */
import { parseArgs } from 'node:util';
import { redisUrlFromEnv } from '@pushfleet/config';
import {
  type BroadcastDeadLetter,
  connectRedis,
  countBroadcastDeadLetters,
  type DeadLetter,
  getDeadLetter,
  listBroadcastDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  type RedisClient,
  redriveBroadcastDeadLetters,
  redriveDeadLetters,
} from '@pushfleet/queue';

export const DLQ_USAGE = `usage: pushfleet dlq <list|show|retry|purge> APP [options]

  list APP [--offset N] [--limit N] [--json]   the oldest entries first: id, outcome, reason, tries, when
  show APP ID                                  one entry in full (JSON): notification, attempts, reason
  retry APP (ID... | --all)                    send them again, keeping their ids and attempt history
  purge APP (ID... | --all)                    remove them for good

  --broadcasts      list or retry the app's broadcasts and channel operations given up on instead
  --redis-url URL   the fleet's Redis (default $REDIS_URL)
`;

export class DlqUsageError extends Error {}

type Out = { write(s: string): unknown };

export async function runDlqCommand(args: string[], out: Out = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'redis-url': { type: 'string' },
      offset: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      broadcasts: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out.write(DLQ_USAGE);
    return 0;
  }
  const [action, app, ...ids] = positionals;
  if (!action || !['list', 'show', 'retry', 'purge'].includes(action))
    throw new DlqUsageError(`dlq: say list, show, retry or purge (got ${action ?? 'nothing'})`);
  if (!app) throw new DlqUsageError(`dlq ${action}: name the app`);
  const url = values['redis-url'] ?? redisUrlFromEnv(process.env);
  if (!url) throw new DlqUsageError('dlq: needs --redis-url or REDIS_URL');
  if ((action === 'retry' || action === 'purge') && ids.length === 0 && !values.all)
    throw new DlqUsageError(`dlq ${action}: name the ids, or --all`);
  if (values.broadcasts && action !== 'list' && action !== 'retry')
    throw new DlqUsageError(`dlq ${action} --broadcasts: only list and retry take --broadcasts`);
  const { client } = connectRedis(url);
  try {
    if (values.broadcasts)
      return await broadcastDeadLetters(client, action as 'list' | 'retry', app, ids, values, out);
    switch (action) {
      case 'list': {
        const page = await listDeadLetters(client, app, {
          offset: wholeNumber('offset', values.offset, 0),
          limit: wholeNumber('limit', values.limit, 50),
        });
        if (values.json) out.write(`${JSON.stringify(page)}\n`);
        else {
          out.write(`${app}: ${page.total} dead-lettered\n`);
          for (const e of page.entries) out.write(`${line(e)}\n`);
        }
        return 0;
      }
      case 'show': {
        if (ids.length !== 1) throw new DlqUsageError('dlq show: name one id');
        const entry = await getDeadLetter(client, app, ids[0]!);
        if (!entry) {
          out.write(`${ids[0]}: not in ${app}'s dead-letter list\n`);
          return 1;
        }
        out.write(`${JSON.stringify(entry, null, 2)}\n`);
        return 0;
      }
      case 'retry': {
        const r = await redriveDeadLetters(client, app, values.all ? undefined : ids);
        out.write(`re-drove ${r.redriven.length} of ${app}'s dead letters`);
        out.write(r.missing.length > 0 ? `; not in the list: ${r.missing.join(', ')}\n` : '\n');
        return r.missing.length > 0 ? 1 : 0;
      }
      default: {
        const removed = await purgeDeadLetters(client, app, values.all ? undefined : ids);
        out.write(`purged ${removed} of ${app}'s dead letters\n`);
        return 0;
      }
    }
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function broadcastDeadLetters(
  client: RedisClient,
  action: 'list' | 'retry',
  app: string,
  ids: readonly string[],
  values: { readonly json?: boolean | undefined; readonly all?: boolean | undefined },
  out: Out,
): Promise<number> {
  if (action === 'list') {
    const [total, entries] = await Promise.all([
      countBroadcastDeadLetters(client, app),
      listBroadcastDeadLetters(client, app),
    ]);
    if (values.json) out.write(`${JSON.stringify({ total, entries })}\n`);
    else {
      out.write(`${app}: ${total} broadcasts and channel operations dead-lettered\n`);
      for (const e of entries) out.write(`${broadcastLine(e)}\n`);
    }
    return 0;
  }
  const wanted = values.all ? (await listBroadcastDeadLetters(client, app, 10_000)).map(broadcastId) : ids;
  const done = await redriveBroadcastDeadLetters(client, app, wanted);
  const missing = wanted.filter((id) => !done.includes(id));
  out.write(`re-drove ${done.length} of ${app}'s broadcast dead letters`);
  out.write(missing.length > 0 ? `; not in the list: ${missing.join(', ')}\n` : '\n');
  return missing.length > 0 ? 1 : 0;
}

const broadcastId = (e: BroadcastDeadLetter) => ('broadcast' in e.job ? e.job.broadcast.id : e.job.id);

function broadcastLine(e: BroadcastDeadLetter): string {
  const what = 'broadcast' in e.job ? 'broadcast' : `channel ${e.job.operation.op}`;
  const when = new Date(e.deadAt).toISOString();
  return `${broadcastId(e)}  ${what.padEnd(14)}  ${e.outcome.padEnd(13)}  ${String(e.attempts).padStart(3)} tries  ${when}  ${e.reason}`;
}

function line(e: DeadLetter): string {
  const when = new Date(e.deadAt).toISOString();
  return `${e.notification.id}  ${e.outcome.padEnd(13)}  ${String(e.attempts.length).padStart(3)} tries  ${when}  ${e.reason}`;
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new DlqUsageError(`--${name}: "${value}" is not a whole number`);
  return n;
}
