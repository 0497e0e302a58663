import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  postgres: string;
  /** 1-minute load average when the run started: other work on the machine skews every case. */
  loadAverageAtStart: number;
}

export function machineInfo(postgresVersion: string, loadAverageAtStart: number): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    postgres: postgresVersion,
    loadAverageAtStart,
  };
}
