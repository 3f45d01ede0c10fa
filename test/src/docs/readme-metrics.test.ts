/** README truth: its metrics table lists every metric the fleet, the API and the webhook define. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_METRIC_NAMES, METRIC_NAMES, WEBHOOK_METRIC_NAMES } from '@pushfleet/metrics';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
const table = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('## Layout'));

describe('README metrics table', () => {
  it.each(Object.values({ ...METRIC_NAMES, ...API_METRIC_NAMES, ...WEBHOOK_METRIC_NAMES }))(
    'lists %s',
    (name) => {
      expect(table).toContain(`\`${name}\``);
    },
  );
});
