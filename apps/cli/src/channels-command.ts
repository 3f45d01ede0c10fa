/**
 * `pushfleet channels list|create|delete|sync APP`: an app's broadcast channels. `list` reads the app's channel
 * registry (what the fleet made or found, against Apple's 10,000 per app and environment); `create`, `delete`
 * and `sync` enqueue channel operations the worker sends to APNs' channel-management host (`--wait` prints
 * Apple's answer).
 */
import { parseArgs } from 'node:util';
import { CHANNEL_LIMIT, type ChannelEntry, type ChannelOperation } from '@pushfleet/queue';
import { redisUrlOf, UsageError } from './cli-options.js';
import { fleetProducer } from './fleet-producer.js';

export const CHANNELS_USAGE = `usage: pushfleet channels <list|create|delete|sync> APP [options]

  list APP [--all] [--json]                    the app's live channels (--all: deleted ones too), against 10,000
  create APP --storage-policy 0|1 [--bundle-id B] [--wait]
                                               a new channel: 0 No Message Stored (frequent updates, higher
                                               budget), 1 Most Recent Message Stored (kept up to 8 h)
  delete APP CHANNEL_ID [--bundle-id B] [--wait]
                                               delete it for good (Apple never reissues an id)
  sync APP [--bundle-id B] [--wait]            record the channels APNs lists that the registry lacks

  --bundle-id B     the bare bundle id (default: the app's first topic in the fleet config)
  --wait            wait for Apple's answer and print it (up to 30 s)
  --redis-url URL   the fleet's Redis (default $REDIS_URL, or the running \`pushfleet start\`'s)
`;

type Out = { write(s: string): unknown };

export async function runChannels(args: string[], out: Out = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'storage-policy': { type: 'string' },
      'bundle-id': { type: 'string' },
      wait: { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      'redis-url': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, app, channelId, extra] = positionals;
  if (!action || !['list', 'create', 'delete', 'sync'].includes(action))
    throw new UsageError(`channels: say list, create, delete or sync (got ${action ?? 'nothing'})`);
  if (!app) throw new UsageError(`channels ${action}: name the app`);
  if (action === 'delete' ? channelId === undefined || extra !== undefined : channelId !== undefined)
    throw new UsageError(
      action === 'delete'
        ? 'channels delete takes an app and a channel id'
        : `channels ${action} takes one app name`,
    );
  const fleet = fleetProducer(redisUrlOf(values['redis-url'], 'channels'));
  const { producer } = fleet;
  try {
    if (action === 'list') {
      const channels = await producer.listChannels(app, { live: !values.all });
      for (const c of channels) out.write(values.json ? `${JSON.stringify(c)}\n` : `${line(c)}\n`);
      const live = channels.filter((c) => c.deletedAt === undefined).length;
      if (!values.json)
        out.write(
          `${live} live channel${live === 1 ? '' : 's'} of ${CHANNEL_LIMIT.toLocaleString('en-US')} for ${app}\n`,
        );
      return 0;
    }
    const bundleId = values['bundle-id'] ?? fleet.topicsOf(app)[0]?.replace(/\.push-type\..*$/, '');
    if (bundleId === undefined)
      throw new UsageError(`channels ${action}: pass --bundle-id (the app's config names no topic)`);
    let op: ChannelOperation;
    if (action === 'create') {
      const policy = values['storage-policy'];
      if (policy !== '0' && policy !== '1') throw new UsageError('channels create: --storage-policy 0 or 1');
      op = { op: 'create', bundleId, storagePolicy: policy === '0' ? 0 : 1 };
    } else if (action === 'delete') {
      op = { op: 'delete', bundleId, channelId: channelId! };
    } else {
      op = { op: 'sync', bundleId };
    }
    const { id } = await producer.channel({ ...op, app });
    if (!values.wait) {
      out.write(`${action} ${id} enqueued for ${app}; pushfleet channels list ${app} shows the registry\n`);
      return 0;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await producer.broadcastStatus(app, id);
      if (status.state === 'completed' || status.state === 'failed') {
        const r = status.result;
        out.write(
          `${action} ${status.state}: ${r?.outcome ?? '?'}${r?.reason ? ` ${r.reason}` : ''}${r?.channelId ? ` channel ${r.channelId}` : ''}${r?.adopted !== undefined ? ` adopted ${r.adopted}` : ''}\n`,
        );
        return status.state === 'completed' ? 0 : 1;
      }
      if (Date.now() > deadline) {
        out.write(`${action} ${id} still ${status.state} after 30 s (is a worker running?)\n`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await producer.close();
  }
}

function line(c: ChannelEntry): string {
  const policy = c.storagePolicy === undefined ? '?' : String(c.storagePolicy);
  const deleted = c.deletedAt === undefined ? '' : `  deleted ${new Date(c.deletedAt).toISOString()}`;
  return `${c.id}  ${c.bundleId}  policy ${policy}  ${c.source.padEnd(10)}  ${new Date(c.createdAt).toISOString()}${deleted}`;
}
