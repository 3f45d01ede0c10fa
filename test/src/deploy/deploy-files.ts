/** Where the deploy files are, and the names a deploy file may use in PromQL. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { METRIC_NAMES } from '@pushfleet/metrics';
import { parse } from 'yaml';

export const repoPath = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
export const readText = (p: string) => readFileSync(repoPath(p), 'utf8');
export const readYaml = <T = unknown>(p: string): T => parse(readText(p)) as T;

export const RECORDING_RULES_FILE = 'deploy/prometheus/rules/pushfleet-recording.yaml';
export const ALERT_RULES_FILE = 'deploy/prometheus/rules/pushfleet-alerts.yaml';

export interface RuleGroups {
  groups: {
    name: string;
    rules: {
      record?: string;
      alert?: string;
      expr: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[];
  }[];
}

export function recordingRules() {
  return readYaml<RuleGroups>(RECORDING_RULES_FILE).groups.flatMap((g) => g.rules);
}
export function alertRules() {
  return readYaml<RuleGroups>(ALERT_RULES_FILE).groups.flatMap((g) => g.rules);
}

/** Raw series names a query may read: the catalogue's (with a histogram's suffixes), Node's defaults, `up`. */
export function knownSeries(): Set<string> {
  const names = new Set<string>(['up']);
  for (const n of Object.values(METRIC_NAMES))
    for (const s of ['', '_bucket', '_sum', '_count']) names.add(n + s);
  for (const n of [
    'nodejs_eventloop_lag_p99_seconds',
    'nodejs_eventloop_lag_mean_seconds',
    'process_cpu_seconds_total',
  ])
    names.add(n);
  for (const r of recordingRules()) if (r.record) names.add(r.record);
  return names;
}

/** Series names a PromQL expression reads (identifiers followed by a selector, a range or an operator). */
export function seriesIn(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""');
  const words = [...withoutLabels.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]);
  return words.filter((w) => /^(pushfleet_|nodejs_|process_|up$)/.test(w) || w.includes(':'));
}
