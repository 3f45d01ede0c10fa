#!/usr/bin/env node
/**
 * `node packages/simulator/dist/bin/write-credentials.js --dir DIR [--host H]... [--key-id K --team-id T]
 * [--bundle-id B]`: write a simulator's throwaway credentials (writeTestCredentials) once, for a simulator
 * reached by another name than localhost (a compose service, a Kubernetes Service). Does nothing when
 * DIR/credentials.json exists, so a restarted container keeps its identity.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CREDENTIALS_MANIFEST, writeTestCredentials } from '../certs/write-test-credentials.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    host: { type: 'string', multiple: true },
    'key-id': { type: 'string' },
    'team-id': { type: 'string' },
    'bundle-id': { type: 'string' },
  },
});
if (!values.dir) {
  process.stderr.write('write-credentials: --dir is required\n');
  process.exit(2);
}
if (existsSync(join(values.dir, CREDENTIALS_MANIFEST))) {
  process.stdout.write(`credentials already in ${values.dir}\n`);
} else {
  await writeTestCredentials(values.dir, {
    hosts: ['localhost', '127.0.0.1', '::1', ...(values.host ?? [])],
    keyId: values['key-id'],
    teamId: values['team-id'],
    bundleId: values['bundle-id'],
  });
  process.stdout.write(`wrote credentials to ${values.dir}\n`);
}
