/**
 * `pushfleet send`: one test push from the command line to any configured app, through the SDK (the same
 * validation as everywhere); with --wait it waits for the verdict and prints it.
 */
import { parseArgs } from 'node:util';
import { getPushJobStatus, type NotificationInput, waitForJobs } from '@pushfleet/queue';
import { redisUrlOf, UsageError, wholeNumber } from './cli-options.js';
import { fleetProducer } from './fleet-producer.js';
import { DEMO_TOPIC } from './start.js';

export const SEND_USAGE = `usage: pushfleet send --token HEX [options]

  one test push to any configured app (routed by its topic, or --app)
  --token HEX        the device token (required)
  --topic T          apns-topic (default: the config's first topic, else ${DEMO_TOPIC})
  --alert TEXT       the alert text (default "Hello from pushfleet"), or
  --payload JSON     the whole payload, e.g. '{"aps":{"badge":3}}'
  --app APP          the app to send with (default: the one owning the topic)
  --push-type T      alert, background, voip, ... (default from the payload)
  --priority N       10, 5 or 1
  --wait             wait for APNs' verdict and print it (exit 1 unless delivered)
  --redis-url URL    the fleet's Redis (default $REDIS_URL, or the running \`pushfleet start\`'s)
`;

type Out = { write(s: string): unknown };

export async function runSend(args: string[], out: Out = process.stdout): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      token: { type: 'string' },
      topic: { type: 'string' },
      alert: { type: 'string' },
      payload: { type: 'string' },
      app: { type: 'string' },
      'push-type': { type: 'string' },
      priority: { type: 'string' },
      wait: { type: 'boolean' },
      'redis-url': { type: 'string' },
    },
    strict: true,
  });
  if (!v.token) throw new UsageError('send: --token HEX is required');
  if (v.alert !== undefined && v.payload !== undefined)
    throw new UsageError('send: give --alert or --payload, not both');
  let payload: Record<string, unknown> | string = { aps: { alert: v.alert ?? 'Hello from pushfleet' } };
  if (v.payload !== undefined) {
    try {
      payload = JSON.parse(v.payload) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--payload: is not JSON (e.g. '{"aps":{"alert":"Hi"}}')`);
    }
  }
  const redisUrl = redisUrlOf(v['redis-url'], 'send');
  const fleet = fleetProducer(redisUrl);
  try {
    const notification: NotificationInput = {
      token: v.token,
      topic: v.topic ?? fleet.defaultTopic ?? DEMO_TOPIC,
      payload,
      ...(v.app ? { app: v.app } : {}),
      ...(v['push-type'] ? { pushType: v['push-type'] as NotificationInput['pushType'] } : {}),
      ...(v.priority
        ? { priority: wholeNumber('priority', v.priority) as NotificationInput['priority'] }
        : {}),
    };
    const { ids } = await fleet.producer.send(notification);
    const id = ids[0]!;
    const app = fleet.producer.checkMany([notification]).apps[0]!;
    out.write(`enqueued ${id} (app ${app}); \`pushfleet status ${id}\` shows where it stands\n`);
    if (!v.wait) return 0;
    const queue = fleet.producer.queueFor(app);
    await waitForJobs(queue, [id], { timeoutMs: 30_000 });
    const status = await getPushJobStatus(queue, id);
    const verdict = status?.result?.notifications[0];
    out.write(
      `${status?.state ?? 'unknown'}: ${verdict?.outcome ?? 'no verdict yet'}${verdict?.reason ? ` (${verdict.reason})` : ''}\n`,
    );
    return verdict?.outcome === 'delivered' ? 0 : 1;
  } finally {
    await fleet.producer.close();
  }
}
