/** `pushfleet api-key`: a new API key and what to put in the configuration (only its hash is kept there). */
import { parseArgs } from 'node:util';
import { generateApiKey } from '@pushfleet/config';
import { APP_NAME_PATTERN } from '@pushfleet/queue';
import { UsageError } from './cli-options.js';

export const API_KEY_USAGE = `usage: pushfleet api-key [--id ID] [--apps APP,APP | --apps '*']

  a new random API key, its SHA-256, and the config entry and variable that enable it
  --id ID        names the key in logs and rate limits (default "backend")
  --apps LIST    the apps it may use, comma-separated, or * for all (default *)
`;

type Out = { write(s: string): unknown };

export async function runApiKey(args: string[], out: Out = process.stdout): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { id: { type: 'string' }, apps: { type: 'string' } },
    strict: true,
  });
  const id = values.id ?? 'backend';
  if (!APP_NAME_PATTERN.test(id)) throw new UsageError(`--id: "${id}" must be 1-63 chars of a-z, 0-9, . _ -`);
  const apps = (values.apps ?? '*')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const a of apps)
    if (a !== '*' && !APP_NAME_PATTERN.test(a)) throw new UsageError(`--apps: "${a}" is not an app name`);
  const { key, sha256 } = generateApiKey();
  out.write(
    [
      `key     ${key}`,
      '        give it to the caller as "Authorization: Bearer <key>"; it is shown once and stored nowhere',
      `sha256  ${sha256}`,
      '',
      'enable it in the fleet config:',
      `  "apiKeys": [{ "id": "${id}", "sha256": "${sha256}", "apps": ${JSON.stringify(apps)} }]`,
      'or in the environment of the API:',
      `  PUSHFLEET_API_KEYS='${id}:${sha256}:${apps.join(',')}'`,
      '',
    ].join('\n'),
  );
  return 0;
}
