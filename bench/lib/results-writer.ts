/** Writes bench/results.json (everything) and bench/results.md (the table a person reads). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult } from './load';
import type { MachineInfo } from './machine';

export interface TargetCheck {
  case: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface Skipped {
  case: string;
  reason: string;
}

export interface BenchReport {
  startedAt: string;
  machine: MachineInfo;
  settings: Record<string, string | number>;
  /** The bare handler's requests/s, the denominator of every ratio. */
  bareRequestsPerSecond: number;
  /**
   * Each case with its ratio to the bare handler (`bareRequestsPerSecond`: the mean of its
   * measurements just before and just after the case, or the one before).
   */
  cases: (CaseResult & { ratioToBare: number; bareRequestsPerSecond: number; note?: string })[];
  targets: TargetCheck[];
  skipped: Skipped[];
  notes: string[];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function statusSummary(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${code}: ${fmt(n)}`)
    .join(', ');
}

export function renderTable(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    '| case | req/s | p50 ms | p99 ms | bare around it, req/s | × bare | responses | CPU service | CPU load gen | CPU other | idle |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|');
  for (const c of report.cases) {
    lines.push(
      `| ${c.name} | ${fmt(c.requestsPerSecond)} | ${fmt(c.p50Ms, 1)} | ${fmt(c.p99Ms, 1)} | ` +
        `${fmt(c.bareRequestsPerSecond)} | ` +
        `${fmt(c.ratioToBare, 2)} | ${statusSummary(c.statuses)}${c.errors ? `, errors: ${c.errors}` : ''} | ` +
        `${fmt(c.cpu.target, 2)} | ${fmt(c.cpu.loadGenerator, 2)} | ${fmt(c.cpu.other, 2)} | ${fmt(c.cpu.idle, 2)} |`,
    );
  }
  return lines.join('\n');
}

export function renderTargets(report: BenchReport): string {
  const lines = ['| target | measured | result |', '|---|---|---|'];
  for (const t of report.targets) {
    lines.push(`| ${t.case}: ${t.target} | ${t.measured} | ${t.pass ? 'pass' : '**FAIL**'} |`);
  }
  return lines.join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [];
  out.push('# Benchmark results');
  out.push('');
  out.push(
    `Measured by \`npm run bench\` on ${report.startedAt}. Every case runs in the same run on the ` +
      'same machine; "× bare" is the ratio to a bare Fastify handler measured in that run, just ' +
      'before and just after the case (their mean; a webhook case: the one before, as its inbox ' +
      'backlog is still being worked off after it), since the machine is shared and its speed ' +
      'drifts within a run.',
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(`- ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB`);
  out.push(`- Node ${m.node} (${m.platform}), ${m.postgres}`);
  out.push(
    `- load average (1 min) when the run started: ${m.loadAverageAtStart} (the machine is shared; the "CPU other" column shows what else ran)`,
  );
  for (const [k, v] of Object.entries(report.settings)) out.push(`- ${k}: ${v}`);
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push(renderTargets(report));
  out.push('');
  out.push('## Cases');
  out.push('');
  out.push(renderTable(report));
  out.push('');
  out.push(
    'CPU columns are cores busy on average during the measured window (1.00 = one full core): ' +
      '"service" is the process under test (the service, the bare handler or the baseline), ' +
      '"load gen" is autocannon (one process, on the same machine), "other" is everything else ' +
      'that was busy (Postgres, the store fakes, the rest of the machine).',
  );
  for (const c of report.cases.filter((x) => x.note)) out.push(`\n- **${c.name}**: ${c.note}`);
  if (report.skipped.length) {
    out.push('');
    out.push('## Not measured');
    out.push('');
    for (const s of report.skipped) out.push(`- ${s.case}: ${s.reason}`);
  }
  if (report.notes.length) {
    out.push('');
    out.push('## Notes');
    out.push('');
    for (const n of report.notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}

export function writeResults(dir: string, report: BenchReport): void {
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'results.md'), renderMarkdown(report));
}
