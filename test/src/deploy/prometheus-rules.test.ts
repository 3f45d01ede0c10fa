/**
 * The Prometheus rules: valid for promtool, every alert unit-tested firing and not firing (promtool test
 * rules), every alert with a severity, a summary and a runbook section, every series they read defined.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  alertRules,
  knownSeries,
  readText,
  readYaml,
  recordingRules,
  repoPath,
  seriesIn,
} from './deploy-files.js';

const promtool = spawnSync('sh', ['-c', 'command -v promtool']).stdout?.toString().trim();
const RULE_TESTS = [
  'deploy/prometheus/tests/pushfleet-alerts.test.yaml',
  'deploy/prometheus/tests/pushfleet-recording.test.yaml',
];

describe.skipIf(!promtool)('promtool (install Debian prometheus: apt-get install -y prometheus)', () => {
  it('check rules: every rule file is valid', () => {
    const out = execFileSync(
      promtool!,
      [
        'check',
        'rules',
        repoPath('deploy/prometheus/rules/pushfleet-recording.yaml'),
        repoPath('deploy/prometheus/rules/pushfleet-alerts.yaml'),
      ],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(
      /SUCCESS: 21 rules found[\s\S]*SUCCESS: 11 rules found|SUCCESS: 11 rules found[\s\S]*SUCCESS: 21 rules found/,
    );
  });

  it('test rules: every alert fires when it should and stays quiet when it should not', () => {
    const r = spawnSync(promtool!, ['test', 'rules', ...RULE_TESTS.map(repoPath)], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });
});

if (!promtool)
  it.skip('promtool is not installed: rule checks skipped (apt-get install -y prometheus)', () => {});

describe('alert rules', () => {
  const alerts = alertRules();

  it('cover what the runbook promises', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        'PushfleetAppPaused',
        'PushfleetBroadcastChannelsNearLimit',
        'PushfleetBacklogGrowing',
        'PushfleetCertificateExpiringSoon',
        'PushfleetDeadLettersGrowing',
        'PushfleetEventLoopLagHigh',
        'PushfleetFailureRatioHigh',
        'PushfleetNoThroughputWhileJobsWait',
        'PushfleetProviderTokenStale',
        'PushfleetResendsHigh',
        'PushfleetWorkerDown',
      ].sort(),
    );
  });

  it('each has a severity, a summary and a runbook section that exists', () => {
    const runbook = readText('docs/runbook.md');
    for (const a of alerts) {
      expect(['critical', 'warning'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.runbook_url).toBe(`docs/runbook.md#${a.alert!.toLowerCase()}`);
      const section = runbook.split(/^## /m).find((s) => s.startsWith(`${a.alert}\n`));
      expect(section, `docs/runbook.md has no "## ${a.alert}"`).toBeDefined();
      for (const part of ['**Means:**', '**Confirm:**', '**Do:**']) expect(section, a.alert).toContain(part);
    }
  });

  it('each is unit-tested both firing and not firing', () => {
    const tests = readYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }>(
      RULE_TESTS[0]!,
    );
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${a.alert} firing`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${a.alert} not firing`,
      ).toBe(true);
    }
  });

  it('read only series the catalogue defines, Node exports or the recording rules record', () => {
    const known = knownSeries();
    for (const r of [...recordingRules(), ...alerts])
      for (const s of seriesIn(r.expr)) expect(known.has(s), `${r.record ?? r.alert}: ${s}`).toBe(true);
  });
});
