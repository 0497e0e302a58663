import { ManualClock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import type { CoverageCheckReader } from './coverage-check-reader';
import { CoverageCountersCache, CoverageCountersSource } from './coverage-counters-cache';
import {
  CoverageRefresher,
  REFRESH_BATCH,
  REFRESH_MAX_WAITING,
  REFRESH_WINDOW_MS,
} from './coverage-refresher';
import { EntitlementCache, EntitlementSource } from './entitlement-cache';
import { Gate } from '../../test/support/gate';

const NOW = new Date('2026-03-10T12:00:00Z');

/** The reader's part the refresher uses: records each batch, fails when told to. */
class RecordingReader {
  readonly batches: string[][] = [];
  readsRows = true;
  fail = false;
  readonly gate = new Gate();
  async readMany(accountIds: readonly string[]): Promise<void> {
    this.batches.push([...accountIds]);
    await this.gate.pass();
    if (this.fail) throw new Error('connection refused');
  }
}

function setup() {
  const clock = new ManualClock(NOW);
  const config = loadConfig({ COVERAGE_CACHE_TTL_MS: '10000' });
  const metrics = new MetricsService();
  const entitlements = new EntitlementCache({} as EntitlementSource, clock, config, metrics);
  const counters = new CoverageCountersCache({} as CoverageCountersSource, clock, config, metrics);
  const reader = new RecordingReader();
  const refresher = new CoverageRefresher(
    entitlements,
    counters,
    reader as unknown as CoverageCheckReader,
    clock,
    metrics,
  );
  refresher.onModuleInit();
  const outcome = (o: string) => metrics.value('coverage_cache_refreshes_total', { outcome: o });
  return { entitlements, counters, reader, refresher, outcome };
}

describe('CoverageRefresher', () => {
  let t: ReturnType<typeof setup>;
  /** What the entitlement cache calls on a hit of an entry due (the refresher's listener). */
  let due: (accountId: string) => void;

  beforeEach(() => {
    jest.useFakeTimers();
    const spy = jest.spyOn(EntitlementCache.prototype, 'onRefreshDue');
    t = setup();
    due = spy.mock.calls[0][0];
    spy.mockRestore();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await t.refresher.onApplicationShutdown();
  });

  it('reads the accounts that came due within the window together, each once', async () => {
    due('a');
    due('b');
    due('a');
    expect(t.reader.batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    expect(t.reader.batches).toEqual([['a', 'b']]);
    expect(await t.outcome('read')).toBe(2);
  });

  it('hears of accounts due from the counters cache as well', async () => {
    const spy = jest.spyOn(CoverageCountersCache.prototype, 'onRefreshDue');
    const other = setup();
    const fromCounters = spy.mock.calls[0][0];
    spy.mockRestore();
    fromCounters('c');
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    expect(other.reader.batches).toEqual([['c']]);
    await other.refresher.onApplicationShutdown();
  });

  it('reads at most one batch at a time; what comes due meanwhile waits for the next', async () => {
    t.reader.gate.hold();
    due('a');
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    due('b');
    due('c');
    await jest.advanceTimersByTimeAsync(5 * REFRESH_WINDOW_MS);
    expect(t.reader.batches).toEqual([['a']]);
    t.reader.gate.release();
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    expect(t.reader.batches).toEqual([['a'], ['b', 'c']]);
  });

  it(`reads at most ${REFRESH_BATCH} accounts a statement`, async () => {
    for (let i = 0; i < REFRESH_BATCH + 5; i++) due(`acct_${i}`);
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    expect(t.reader.batches.map((b) => b.length)).toEqual([REFRESH_BATCH, 5]);
  });

  it('drops what comes due past the waiting limit (those entries expire and miss)', async () => {
    t.reader.gate.hold();
    for (let i = 0; i < REFRESH_MAX_WAITING + 3; i++) due(`acct_${i}`);
    expect(await t.outcome('dropped')).toBe(3);
    t.reader.gate.release();
  });

  it('counts a failed read and goes on (the entries expire and the next check reads)', async () => {
    t.reader.fail = true;
    due('a');
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    expect(await t.outcome('failed')).toBe(1);
    t.reader.fail = false;
    due('a');
    await jest.advanceTimersByTimeAsync(REFRESH_WINDOW_MS);
    expect(t.reader.batches).toEqual([['a'], ['a']]);
    expect(await t.outcome('read')).toBe(1);
  });

  it('reads nothing once shut down', async () => {
    due('a');
    await t.refresher.onApplicationShutdown();
    due('b');
    await jest.advanceTimersByTimeAsync(5 * REFRESH_WINDOW_MS);
    expect(t.reader.batches).toEqual([]);
  });

  it('does nothing with a source that does not derive from rows', () => {
    const spy = jest.spyOn(EntitlementCache.prototype, 'onRefreshDue');
    const clock = new ManualClock(NOW);
    const config = loadConfig({});
    const metrics = new MetricsService();
    const refresher = new CoverageRefresher(
      new EntitlementCache({} as EntitlementSource, clock, config, metrics),
      new CoverageCountersCache({} as CoverageCountersSource, clock, config, metrics),
      { readsRows: false } as CoverageCheckReader,
      clock,
      metrics,
    );
    refresher.onModuleInit();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});
