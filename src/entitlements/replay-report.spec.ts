import { formatReplayReport, replayExitCode } from './replay-report';
import type { ReplayReport } from './replay.service';

const clean: ReplayReport = { subscriptions: 3, snapshots: 7, differences: [], fixed: 0 };
const dirty: ReplayReport = {
  subscriptions: 3,
  snapshots: 7,
  fixed: 1,
  differences: [
    {
      store: 'stripe',
      storeSubscriptionId: 'sub_1',
      storedAccountKey: 'acc_1',
      problem: 'state_differs',
      fields: ['latest.status', 'latest.observedAt'],
      fixed: true,
    },
    {
      store: 'apple',
      storeSubscriptionId: '2000',
      storedAccountKey: '',
      problem: 'orphan_state',
      fields: [],
      fixed: false,
    },
  ],
};

describe('replay report', () => {
  it('says so when nothing differs, and exits 0', () => {
    expect(formatReplayReport(clean, false)).toBe(
      'replayed 3 subscription(s) from 7 applied snapshot(s)\n' +
        'no differences: every stored state is what its snapshots rebuild',
    );
    expect(replayExitCode(clean, false)).toBe(0);
  });

  it('lists each difference with its fields, and exits 1', () => {
    const text = formatReplayReport(dirty, false);
    expect(text).toContain(
      'stripe:sub_1 (account acc_1): stored state differs from the replay of its snapshots ' +
        '[latest.status, latest.observedAt]',
    );
    expect(text).toContain('apple:2000 (unlinked): stored state that no link points at');
    expect(text).toContain('run again with --fix');
    expect(replayExitCode(dirty, false)).toBe(1);
  });

  it('with --fix, tells what was fixed and exits 1 only while something is left', () => {
    const text = formatReplayReport(dirty, true);
    expect(text).toContain('[latest.status, latest.observedAt] -> fixed');
    expect(text).toContain('no link points at -> NOT fixed');
    expect(text).toContain('fixed 1 of 2');
    expect(replayExitCode(dirty, true)).toBe(1);
    const allFixed = { ...dirty, differences: [dirty.differences[0]] };
    expect(replayExitCode(allFixed, true)).toBe(0);
  });
});
