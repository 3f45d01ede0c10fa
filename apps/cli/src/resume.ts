/** `pushfleet resume APP`: lift the pause a worker put on an app whose credentials APNs refused. */
import { connectRedis, resumeApp } from '@pushfleet/queue';

export async function runResume(redisUrl: string, app: string, out = process.stdout): Promise<number> {
  const { client } = connectRedis(redisUrl);
  try {
    const pause = await resumeApp(client, app);
    out.write(
      pause
        ? `resumed ${app} (paused since ${new Date(pause.at).toISOString()} for ${pause.reason}, by ${pause.by})\n`
        : `resumed ${app} (it was not paused for its credentials)\n`,
    );
    return 0;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
