#!/usr/bin/env node
/** `npm run dashboards`: write the generated dashboard to deploy/grafana/dashboards/pushfleet.json. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dashboardJson } from './dashboard.js';

export const DASHBOARD_FILE = fileURLToPath(
  new URL('../../grafana/dashboards/pushfleet.json', import.meta.url),
);

writeFileSync(DASHBOARD_FILE, dashboardJson());
process.stdout.write(`wrote ${DASHBOARD_FILE}\n`);
