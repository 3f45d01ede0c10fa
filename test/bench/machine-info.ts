/** The machine a bench ran on, for its report and docs/benchmarks.md: cores, CPU model, Node, load. */
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
