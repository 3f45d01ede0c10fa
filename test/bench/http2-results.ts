/**
 * bench:http2's figures: the per-client table line and the last-line JSON. Ratios pair contenders that hold the
 * same number of connections: `ours` against node-apn's `MultiProvider` (both `--connections`), and `ours-1`
 * against node-apn's single `Provider` (both one).
 */
import type { ClientName } from './http2-clients.js';
import type { ClientReport } from './http2-protocol.js';

/** One client's reports over the runs, with the simulator's CPU per notification during each. */
export interface Row {
  readonly name: ClientName;
  readonly reports: ClientReport[];
  readonly simCpuMicros: number[];
}

/** The like-for-like pairs; the suffix names the pair's fields in the JSON (`ratio`, `ratio_one_connection`). */
const PAIRS = [
  { suffix: '', ours: 'ours', peer: 'node-apn-multi' },
  { suffix: '_one_connection', ours: 'ours-1', peer: 'node-apn' },
] as const satisfies readonly { suffix: string; ours: ClientName; peer: ClientName }[];

export const TABLE_HEADER =
  'client          notifications/s   p50 ms   p99 ms   CPU s/10k   peak RSS MB   sim CPU µs/notif';

export function tableLine(name: string, reports: ClientReport[], simCpu: number[]): string {
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  return (
    `${name.padEnd(14)} ${fmt(med(reports, 'perSecond')).padStart(16)} ${med(reports, 'p50Ms').toFixed(2).padStart(8)} ` +
    `${med(reports, 'p99Ms').toFixed(2).padStart(8)} ${((med(reports, 'cpuMicrosPerNotification') * 1e4) / 1e6).toFixed(3).padStart(11)} ` +
    `${(med(reports, 'peakRssBytes') / 2 ** 20).toFixed(0).padStart(13)} ${median(simCpu).toFixed(1).padStart(18)}` +
    (failed > 0 ? `   (${failed} not delivered!)` : '')
  );
}

/** The last line's object (medians over the runs), and notes to print before it. */
export function summarise(
  rows: readonly Row[],
  options: { readonly connections: number; readonly simWorkers: number },
): { readonly json: Record<string, unknown>; readonly notes: string[] } {
  const json: Record<string, unknown> = { connections: options.connections };
  const notes: string[] = [];
  const row = (name: ClientName) => rows.find((r) => r.name === name);
  for (const r of rows) {
    const field = r.name.replaceAll('-', '_');
    json[`${field}_per_s`] = Math.round(med(r.reports, 'perSecond'));
    json[`${field}_cpu_us`] = round1(med(r.reports, 'cpuMicrosPerNotification'));
    json[`${field}_p99_ms`] = round1(med(r.reports, 'p99Ms'));
  }
  for (const pair of PAIRS) {
    const [ours, peer] = [row(pair.ours), row(pair.peer)];
    if (!ours || !peer) continue;
    json[`peer${pair.suffix}`] = pair.peer;
    json[`ratio${pair.suffix}`] = round3(med(ours.reports, 'perSecond') / med(peer.reports, 'perSecond'));
    json[`cpu_ratio${pair.suffix}`] = round3(
      med(peer.reports, 'cpuMicrosPerNotification') / med(ours.reports, 'cpuMicrosPerNotification'),
    );
  }
  const ours = row('ours');
  if (ours) {
    // The simulator's ceiling: its busy cores at its measured CPU per notification.
    json.sim_cpu_us_ours = round1(median(ours.simCpuMicros));
    const ceiling = (options.simWorkers * 1e6) / median(ours.simCpuMicros);
    json.sim_ceiling_per_s = Math.round(ceiling);
    if (med(ours.reports, 'perSecond') > 0.8 * ceiling) {
      notes.push(
        `note: ours ran at ${Math.round((100 * med(ours.reports, 'perSecond')) / ceiling)}% of the ` +
          `simulator's ceiling (${fmt(ceiling)}/s at ${round1(median(ours.simCpuMicros))} µs per ` +
          'notification): the simulator limits this figure',
      );
    }
  }
  return { json, notes };
}

function med(reports: readonly ClientReport[], field: keyof ClientReport): number {
  return median(reports.map((r) => r[field] as number));
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
