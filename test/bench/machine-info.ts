/** The machine a bench ran on, for its report and docs/benchmarks.md: cores, CPU model, Node, how busy it was. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cores: number;
  readonly cpu: string;
  readonly node: string;
  readonly memoryGiB: number;
  /** 1-minute load average when the bench started: the machine is shared, so this says how busy it was. */
  readonly loadAverage: number;
}

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** CPU time of the whole machine since boot, in clock ticks (/proc/stat's first line); null off Linux. */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

export function readCpuTimes(): CpuTimes | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are the only idle ones.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - fields[3]! - fields[4]!, total };
  } catch {
    return null;
  }
}

/** Cores the whole machine kept busy between two readings (everyone's work, ours included). */
export function busyCores(before: CpuTimes | null, after: CpuTimes | null, cores: number): number {
  if (before === null || after === null || after.total === before.total) return Number.NaN;
  return ((after.busy - before.busy) / (after.total - before.total)) * cores;
}
