import { ManualClock } from '../common/clock';
import { loadConfig } from '../config/app-config';
import type { AccountEntitlement } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { entitlementAt } from '../../test/coverage/entitlement.builders';
import { EntitlementCache, EntitlementSource } from './entitlement-cache';
import { Gate } from '../../test/support/gate';
import { expectDueFrom80PercentOfTtl } from '../../test/support/refresh-due';

const NOW = new Date('2026-03-10T12:00:00Z');

/** A source whose answers a spec controls, and can hold back until released. */
class ScriptedSource extends EntitlementSource {
  reads = 0;
  kind: 'active' | 'revoked' = 'active';
  periodEnd: Date | undefined;
  readonly gate = new Gate();
  async getAccountEntitlement(accountId: string, now: Date): Promise<AccountEntitlement> {
    this.reads++;
    const kind = this.kind;
    await this.gate.pass();
    return entitlementAt(kind, 'unlimited', now, { accountId, periodEnd: this.periodEnd });
  }
}

function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock(NOW);
  const source = new ScriptedSource();
  const config = loadConfig({ COVERAGE_CACHE_TTL_MS: '10000', ...env });
  const cache = new EntitlementCache(source, clock, config, new MetricsService());
  cache.setLive(true);
  return { clock, source, cache };
}

describe('EntitlementCache', () => {
  it('serves a second lookup from memory while listening', async () => {
    const { source, cache } = setup();
    expect((await cache.get('a', NOW)).state).toBe('active');
    expect((await cache.get('a', NOW)).state).toBe('active');
    expect(source.reads).toBe(1);
  });

  it('reads again after an invalidation of the account, not of another one', async () => {
    const { source, cache } = setup();
    await cache.get('a', NOW);
    await cache.get('b', NOW);
    source.kind = 'revoked';
    cache.invalidate('a');
    expect((await cache.get('a', NOW)).state).toBe('revoked');
    expect((await cache.get('b', NOW)).state).toBe('active');
    expect(source.reads).toBe(3);
  });

  it('bypasses memory while not listening, and starts empty when listening again', async () => {
    const { source, cache } = setup();
    await cache.get('a', NOW);
    cache.setLive(false);
    await cache.get('a', NOW);
    await cache.get('a', NOW);
    expect(source.reads).toBe(3);
    cache.setLive(true);
    expect(cache.size).toBe(0);
    await cache.get('a', NOW);
    await cache.get('a', NOW);
    expect(source.reads).toBe(4);
  });

  it('says an entry still asked about past 80% of the TTL is due to be read again', async () => {
    const { clock, cache } = setup();
    await cache.get('a', NOW);
    expectDueFrom80PercentOfTtl(cache, clock, NOW);
  });

  it('expires an entry after the TTL, and at the entitlement’s next change by time', async () => {
    const { clock, source, cache } = setup();
    await cache.get('a', NOW);
    clock.advance(9_999);
    await cache.get('a', NOW);
    expect(source.reads).toBe(1);
    clock.advance(1);
    await cache.get('a', NOW);
    expect(source.reads).toBe(2);

    source.periodEnd = new Date(NOW.getTime() + 1000);
    cache.invalidate('a');
    const first = await cache.get('a', NOW);
    expect(first.nextChangeAt).not.toBeNull();
    const later = new Date(first.nextChangeAt!.getTime());
    expect((await cache.get('a', later)).state).toBe('expired');
    expect(source.reads).toBe(4);
  });

  it('does not keep a read that overlapped an invalidation', async () => {
    const { source, cache } = setup();
    source.gate.hold();
    const pending = cache.get('a', NOW);
    source.kind = 'revoked';
    cache.invalidate('a');
    // A lookup after the invalidation does not join the older read.
    const after = cache.get('a', NOW);
    source.gate.release();
    expect((await pending).state).toBe('active');
    expect((await after).state).toBe('revoked');
    expect((await cache.get('a', NOW)).state).toBe('revoked');
  });

  it('keeps a read made elsewhere unless an invalidation came in meanwhile', async () => {
    const { source, cache } = setup();
    const value = await new ScriptedSource().getAccountEntitlement('a', NOW);
    cache.remember('a', value, cache.track());
    expect(cache.peek('a', NOW)).toBe(value);

    const tracked = cache.track();
    cache.invalidate('x');
    cache.remember('b', value, tracked);
    expect(cache.peek('b', NOW)).toBeUndefined();
    expect(source.reads).toBe(0);
  });

  it('keeps at most the configured number of entries', async () => {
    const { source, cache } = setup({ COVERAGE_CACHE_MAX_ENTRIES: '2' });
    for (const id of ['a', 'b', 'c']) await cache.get(id, NOW);
    expect(cache.size).toBe(2);
    await cache.get('a', NOW);
    expect(source.reads).toBe(4);
  });
});
