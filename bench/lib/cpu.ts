/**
 * CPU time of processes and of the machine, read from /proc (Linux), so a case can report how the
 * cores were split between the load generator, the process under test and the rest (Postgres,
 * fakes). Times are in milliseconds of CPU.
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** user+system CPU of a process (its own threads; not its children), ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces; fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) * TICK_MS;
}

/** This process's CPU (the load generator runs here), ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Busy and total CPU of the whole machine, ms summed over cores. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const idle = v[3] + v[4];
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

export interface CpuSplit {
  /** Seconds of CPU per second of wall time (1.0 = one full core). */
  target: number;
  loadGenerator: number;
  /** Everything else that was busy: Postgres, fakes, the rest of the machine. */
  other: number;
  idle: number;
}

export class CpuMeter {
  private readonly start: { target: number; self: number; busy: number; total: number; at: number };

  constructor(private readonly targetPids: number[]) {
    const m = machineCpuMs();
    this.start = {
      target: this.targetsMs(),
      self: selfCpuMs(),
      busy: m.busy,
      total: m.total,
      at: Date.now(),
    };
  }

  private targetsMs(): number {
    return this.targetPids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  }

  stop(): CpuSplit {
    const wallMs = Date.now() - this.start.at;
    const m = machineCpuMs();
    const target = this.targetsMs() - this.start.target;
    const self = selfCpuMs() - this.start.self;
    const busy = m.busy - this.start.busy;
    const total = m.total - this.start.total;
    const per = (ms: number) => Math.round((ms / wallMs) * 100) / 100;
    return {
      target: per(target),
      loadGenerator: per(self),
      other: per(Math.max(0, busy - target - self)),
      idle: per(Math.max(0, total - busy)),
    };
  }
}
