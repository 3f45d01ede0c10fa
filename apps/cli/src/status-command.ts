/** `pushfleet status ID`: where a notification stands, in whichever configured app it is. */
import { parseArgs } from 'node:util';
import { getPushJobStatus } from '@pushfleet/queue';
import { redisUrlOf, UsageError } from './cli-options.js';
import { fleetProducer } from './fleet-producer.js';

export const STATUS_USAGE = `usage: pushfleet status ID [--json] [--redis-url URL]

  where notification ID (its apns-id) stands: queued, delivered, rejected (with Apple's reason), ...
  looked up in every configured app; exit status 1 when no app has it
  --json            the whole record (state, attempts, verdicts)
  --redis-url URL   the fleet's Redis (default $REDIS_URL, or the running \`pushfleet start\`'s)
`;

type Out = { write(s: string): unknown };

export async function runStatus(args: string[], out: Out = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, 'redis-url': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [id, extra] = positionals;
  if (!id || extra !== undefined) throw new UsageError('status takes one notification id');
  const fleet = fleetProducer(redisUrlOf(values['redis-url'], 'status'));
  try {
    for (const app of fleet.apps) {
      const status = await getPushJobStatus(fleet.producer.queueFor(app), id.toLowerCase());
      if (!status) continue;
      if (values.json) {
        out.write(`${JSON.stringify({ app, ...status }, null, 2)}\n`);
        return 0;
      }
      out.write(`${status.id}  app ${app}  ${status.state}  (${status.attemptsMade} runs)\n`);
      for (const n of status.result?.notifications ?? []) {
        const last = n.attempts[n.attempts.length - 1];
        out.write(
          `  ${n.outcome ?? 'pending'}${n.reason ? ` ${n.reason}` : ''}${n.status ? ` (HTTP ${n.status})` : ''}, ${n.attempts.length} tries${last ? `, last at ${new Date(last.at).toISOString()}` : ''}\n`,
        );
      }
      if (status.failedReason && !status.result) out.write(`  ${status.failedReason}\n`);
      return 0;
    }
    out.write(`${id}: not found in ${fleet.apps.join(', ')} (never enqueued, or past its retention)\n`);
    return 1;
  } finally {
    await fleet.producer.close();
  }
}
