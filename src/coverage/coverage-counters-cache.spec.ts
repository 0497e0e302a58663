import { ManualClock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import type { CoverageCounters } from './coverage-counters';
import { CoverageCountersCache, CoverageCountersSource } from './coverage-counters-cache';
import { Gate } from '../../test/support/gate';
import { expectDueFrom80PercentOfTtl } from '../../test/support/refresh-due';

const NOW = new Date('2026-03-10T12:00:00Z');
const at = (iso: string) => new Date(iso);

/** A source whose answers a spec controls, and can hold back until released. */
class ScriptedSource extends CoverageCountersSource {
  reads = 0;
  running = 0;
  renderSparkToday = 0;
  nextLeaseExpiry: Date | null = null;
  readonly gate = new Gate();
  async read(): Promise<CoverageCounters> {
    this.reads++;
    const counters: CoverageCounters = {
      usage: {
        renderSparkToday: this.renderSparkToday,
        trialJobsToday: 0,
        trialRenderSparkTotal: 0,
      },
      running: { byClass: { image: this.running }, renderSpark: this.running },
      completedJobsToday: 0,
      nextLeaseExpiry: this.nextLeaseExpiry,
    };
    await this.gate.pass();
    return counters;
  }
}

function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock(NOW);
  const source = new ScriptedSource();
  const config = loadConfig({ COVERAGE_CACHE_TTL_MS: '10000', ...env });
  const metrics = new MetricsService();
  const cache = new CoverageCountersCache(source, clock, config, metrics);
  cache.setLive(true);
  const lookups = (result: string) =>
    metrics.value('coverage_counters_cache_lookups_total', { result });
  return { clock, source, cache, lookups };
}

const running = (c: CoverageCounters) => c.running.byClass.image;

describe('CoverageCountersCache', () => {
  it('serves a second lookup from memory while listening', async () => {
    const { source, cache, lookups } = setup();
    expect(running(await cache.get('a', NOW))).toBe(0);
    source.running = 1;
    expect(running(await cache.get('a', NOW))).toBe(0);
    expect(source.reads).toBe(1);
    expect(await lookups('hit')).toBe(1);
    expect(await lookups('miss')).toBe(1);
  });

  it('reads again after an invalidation of the account, not of another one', async () => {
    const { source, cache } = setup();
    await cache.get('a', NOW);
    await cache.get('b', NOW);
    source.running = 2;
    cache.invalidate('a');
    expect(running(await cache.get('a', NOW))).toBe(2);
    expect(running(await cache.get('b', NOW))).toBe(0);
    expect(source.reads).toBe(3);
  });

  it('bypasses memory while not listening, and starts empty when listening again', async () => {
    const { source, cache, lookups } = setup();
    await cache.get('a', NOW);
    cache.setLive(false);
    source.running = 1;
    expect(running(await cache.get('a', NOW))).toBe(1);
    await cache.get('a', NOW);
    expect(source.reads).toBe(3);
    expect(await lookups('bypass')).toBe(2);
    expect(cache.size).toBe(0);

    cache.setLive(true);
    await cache.get('a', NOW);
    await cache.get('a', NOW);
    expect(source.reads).toBe(4);
  });

  it('says an entry still asked about past 80% of the TTL is due to be read again', async () => {
    const { clock, cache } = setup();
    await cache.get('a', NOW);
    expectDueFrom80PercentOfTtl(cache, clock, NOW);
  });

  it('expires an entry after the TTL (a safety net)', async () => {
    const { clock, source, cache } = setup();
    await cache.get('a', NOW);
    clock.advance(9_999);
    await cache.get('a', NOW);
    expect(source.reads).toBe(1);
    clock.advance(1);
    await cache.get('a', NOW);
    expect(source.reads).toBe(2);
  });

  it('does not use counters past the next UTC midnight (the day’s usage resets)', async () => {
    const { source, cache } = setup();
    source.renderSparkToday = 5;
    const late = at('2026-03-10T23:59:59.999Z');
    expect((await cache.get('a', late)).usage.renderSparkToday).toBe(5);
    expect((await cache.get('a', late)).usage.renderSparkToday).toBe(5);
    expect(source.reads).toBe(1);
    source.renderSparkToday = 0;
    expect((await cache.get('a', at('2026-03-11T00:00:00Z'))).usage.renderSparkToday).toBe(0);
    expect(source.reads).toBe(2);
  });

  it('does not use counters from the earliest expiry of the leases they count', async () => {
    const { source, cache } = setup();
    source.running = 2;
    source.nextLeaseExpiry = new Date(NOW.getTime() + 5_000);
    await cache.get('a', NOW);
    expect(running(await cache.get('a', new Date(NOW.getTime() + 4_999)))).toBe(2);
    expect(source.reads).toBe(1);
    source.running = 1;
    source.nextLeaseExpiry = null;
    expect(running(await cache.get('a', new Date(NOW.getTime() + 5_000)))).toBe(1);
    expect(source.reads).toBe(2);
  });

  it('does not use counters for a moment before they were read', async () => {
    const { source, cache } = setup();
    await cache.get('a', NOW);
    await cache.get('a', new Date(NOW.getTime() - 1));
    expect(source.reads).toBe(2);
  });

  it('does not keep a read that overlapped an invalidation of its account', async () => {
    const { source, cache } = setup();
    source.gate.hold();
    const pending = cache.get('a', NOW);
    source.running = 1;
    cache.invalidate('a');
    // A lookup after the invalidation does not join the older read.
    const after = cache.get('a', NOW);
    source.gate.release();
    expect(running(await pending)).toBe(0);
    expect(running(await after)).toBe(1);
    expect(running(await cache.get('a', NOW))).toBe(1);
    expect(source.reads).toBe(2);
  });

  it('keeps a read that overlapped an invalidation of another account only', async () => {
    const { source, cache } = setup();
    source.gate.hold();
    const pending = cache.get('a', NOW);
    cache.invalidate('b');
    source.gate.release();
    await pending;
    await cache.get('a', NOW);
    expect(source.reads).toBe(1);
  });

  it('does not keep a read that overlapped a flush', async () => {
    const { source, cache } = setup();
    source.gate.hold();
    const pending = cache.get('a', NOW);
    cache.flush();
    source.gate.release();
    await pending;
    await cache.get('a', NOW);
    expect(source.reads).toBe(2);
  });

  it('lets concurrent misses of one account share one read', async () => {
    const { source, cache } = setup();
    source.gate.hold();
    const first = cache.get('a', NOW);
    const second = cache.get('a', new Date(NOW.getTime() + 1));
    source.gate.release();
    await Promise.all([first, second]);
    expect(source.reads).toBe(1);
  });

  it('keeps a read made elsewhere unless its account was invalidated or the cache flushed meanwhile', async () => {
    const { source, cache, lookups } = setup();
    const counters = await new ScriptedSource().read();

    const kept = cache.track('a');
    kept.keep(counters, NOW);
    kept.end();
    expect(cache.peek('a', NOW)).toBe(counters);

    const overtaken = cache.track('b');
    cache.invalidate('b');
    overtaken.keep(counters, NOW);
    overtaken.end();
    const flushed = cache.track('c');
    cache.flush();
    flushed.keep(counters, NOW);
    flushed.end();
    expect(cache.peek('b', NOW)).toBeUndefined();
    expect(cache.peek('c', NOW)).toBeUndefined();
    expect(await lookups('hit')).toBe(1);
    expect(await lookups('miss')).toBe(2);
    expect(source.reads).toBe(0);
  });

  it('keeps at most the configured number of entries', async () => {
    const { source, cache } = setup({ COVERAGE_CACHE_MAX_ENTRIES: '2' });
    for (const id of ['a', 'b', 'c']) await cache.get(id, NOW);
    expect(cache.size).toBe(2);
    await cache.get('a', NOW);
    expect(source.reads).toBe(4);
  });

  it('serves nothing from memory when the TTL is 0', async () => {
    const { source, cache, lookups } = setup({ COVERAGE_CACHE_TTL_MS: '0' });
    await cache.get('a', NOW);
    await cache.get('a', NOW);
    expect(source.reads).toBe(2);
    expect(await lookups('bypass')).toBe(2);
  });
});
