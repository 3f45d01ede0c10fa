/** `pushfleet reactivate APP TOKEN`: the device came back with this token; stop suppressing sends to it. */
import { connectRedis, reactivateToken } from '@pushfleet/queue';

export async function runReactivate(
  redisUrl: string,
  app: string,
  token: string,
  out = process.stdout,
): Promise<number> {
  const { client } = connectRedis(redisUrl);
  try {
    const was = await reactivateToken(client, app, token);
    out.write(
      was
        ? `reactivated ${token.toLowerCase()} for ${app} (recorded ${was.reason} at ${new Date(was.timestamp).toISOString()})\n`
        : `${token.toLowerCase()} was not recorded dead for ${app}; nothing to do\n`,
    );
    return 0;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
