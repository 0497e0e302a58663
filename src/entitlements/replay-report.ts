import type { ReplayDifference, ReplayReport } from './replay.service';

const PROBLEM_TEXT: Record<ReplayDifference['problem'], string> = {
  state_differs: 'stored state differs from the replay of its snapshots',
  columns_differ: 'stored columns disagree with the stored state',
  missing_state: 'linked, but no stored state',
  no_snapshots: 'no applied snapshot to rebuild from',
  unreadable_state: 'stored state cannot be read',
  orphan_state: 'stored state that no link points at',
};

function account(key: string | null): string {
  if (key === null) return 'no row';
  return key === '' ? 'unlinked' : `account ${key}`;
}

/** The replay report as the operator reads it in a terminal. */
export function formatReplayReport(report: ReplayReport, fix: boolean): string {
  const lines = [
    `replayed ${report.subscriptions} subscription(s) from ${report.snapshots} applied snapshot(s)`,
  ];
  if (report.differences.length === 0) {
    lines.push('no differences: every stored state is what its snapshots rebuild');
    return lines.join('\n');
  }
  lines.push(`${report.differences.length} difference(s):`);
  for (const d of report.differences) {
    const fields = d.fields.length > 0 ? ` [${d.fields.join(', ')}]` : '';
    const fixed = fix ? (d.fixed ? ' -> fixed' : ' -> NOT fixed') : '';
    lines.push(
      `  ${d.store}:${d.storeSubscriptionId} (${account(d.storedAccountKey)}): ` +
        `${PROBLEM_TEXT[d.problem]}${fields}${fixed}`,
    );
  }
  if (!fix) lines.push('run again with --fix to write the rebuilt states');
  else lines.push(`fixed ${report.fixed} of ${report.differences.length}`);
  return lines.join('\n');
}

/** 0: nothing differs (or everything was fixed); 1: differences remain. */
export function replayExitCode(report: ReplayReport, fix: boolean): number {
  const remaining = fix ? report.differences.filter((d) => !d.fixed) : report.differences;
  return remaining.length === 0 ? 0 : 1;
}
