import request from 'supertest';
import { ManualClock } from '../../src/common/clock';
import { CoverageService } from '../../src/coverage/coverage.service';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { MetricsService } from '../../src/metrics/metrics.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';
import { waitFor } from '../support/wait';
import { snapshot } from './entitlement.builders';

let seq = 0;
const newId = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${++seq}`;

/**
 * Refresh-ahead on the real app and Postgres (TTL 10 s, injected clock): an account still asked
 * about past 80% of its entries' TTL is read again in the background, so it does not miss when
 * they would have expired; one not asked about then is not read again, and misses.
 */
describe('refresh-ahead of the coverage caches', () => {
  const clock = new ManualClock(new Date('2026-03-10T12:00:00Z'));
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { COVERAGE_CACHE_TTL_MS: '10000' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const metric = (name: string, labels: Record<string, string>) =>
    t.app.get(MetricsService).value(name, labels);
  const lookups = (result: 'hit' | 'miss') =>
    metric('coverage_entitlement_cache_lookups_total', { result });
  const counterMisses = () => metric('coverage_counters_cache_lookups_total', { result: 'miss' });
  const refreshed = () => metric('coverage_cache_refreshes_total', { outcome: 'read' });

  const check = (accountId: string) =>
    request(t.server)
      .post('/v1/coverage')
      .set('authorization', bearer('gateway'))
      .send({ accountId, modelId: 'sdxl-1024' })
      .expect(200)
      .then((res) => res.body as { covered: boolean });

  /** An active account whose entries are cached (its change notification heard first). */
  async function cachedAccount(): Promise<string> {
    const accountId = newId('refresh');
    await t.app
      .get(EntitlementService)
      .apply(snapshot(clock.now(), { accountId, status: 'active' }));
    await waitFor(
      async () => {
        const before = await lookups('hit');
        await check(accountId);
        return (await lookups('hit')) === before + 1;
      },
      { timeoutMs: 2000, intervalMs: 5, what: 'a cached answer' },
    );
    return accountId;
  }

  it('reads an account still asked about again before its entries expire: no miss', async () => {
    const accountId = await cachedAccount();
    const misses = [await lookups('miss'), await counterMisses()];
    const before = await refreshed();

    clock.advance(8_500); // past 80% of the TTL: the hit makes the account due
    expect((await check(accountId)).covered).toBe(true);
    await waitFor(async () => (await refreshed()) > before, {
      timeoutMs: 2000,
      intervalMs: 5,
      what: 'the refresh read',
    });

    clock.advance(2_000); // 10.5 s after the first read: its entries would have expired
    expect((await check(accountId)).covered).toBe(true);
    expect([await lookups('miss'), await counterMisses()]).toEqual(misses);
  });

  it('does not read an account nobody asks about near the end of its TTL; it misses later', async () => {
    const accountId = await cachedAccount();
    const before = await refreshed();
    const misses = await lookups('miss');

    clock.advance(10_500);
    expect((await check(accountId)).covered).toBe(true);
    expect(await lookups('miss')).toBe(misses + 1);
    expect(await refreshed()).toBe(before);
  });

  it('answers a cached account synchronously, and a miss with a promise of the same answer', async () => {
    const coverage = t.app.get(CoverageService);
    const dto = (accountId: string) => ({ accountId, modelId: 'sdxl-1024' });
    const cold = newId('sync');
    await t.app
      .get(EntitlementService)
      .apply(snapshot(clock.now(), { accountId: cold, status: 'active' }));
    const missed = coverage.check(dto(cold));
    expect(missed).toBeInstanceOf(Promise);
    expect((await missed).body).toMatchObject({ covered: true, reason: 'covered' });

    const warm = await cachedAccount();
    const hit = coverage.check(dto(warm));
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toEqual({ status: 200, body: expect.objectContaining({ covered: true }) });
    expect((hit as Awaited<typeof hit>).body).toEqual(await check(warm));
  });
});
