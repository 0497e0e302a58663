import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/common/clock';
import { EntitlementSource } from '../../src/coverage/entitlement-cache';
import { EntitlementChangeListener } from '../../src/coverage/entitlement-change.listener';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { MetricsService } from '../../src/metrics/metrics.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';
import { waitFor } from '../support/wait';
import { snapshot } from './entitlement.builders';
import { FakeEntitlementSource } from './fake-entitlement-source';

const MODEL = 'sdxl-1024';

interface Decision {
  covered: boolean;
  reason: string;
  concurrency: { limit: number; running: number };
  fairUse: { renderSparkToday: number };
}

let seq = 0;
const newId = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${++seq}`;

const check = (t: TestApp, accountId: string): Promise<Decision> =>
  request(t.server)
    .post('/v1/coverage')
    .set('authorization', bearer('gateway'))
    .send({ accountId, modelId: MODEL })
    .expect(200)
    .then((res) => res.body as Decision);

const admit = (t: TestApp, accountId: string, jobId: string) =>
  request(t.server)
    .post('/v1/jobs')
    .set('authorization', bearer('gateway'))
    .send({ accountId, modelId: MODEL, jobId })
    .expect(201)
    .then((res) => res.body as { leaseExpiresAt: string });

const finish = (t: TestApp, jobId: string, outcome: string) =>
  request(t.server)
    .post(`/v1/jobs/${jobId}/finish`)
    .set('authorization', bearer('gateway'))
    .send({ outcome })
    .expect(200);

const lookups = (t: TestApp, result: 'hit' | 'miss' | 'bypass') =>
  t.app.get(MetricsService).value('coverage_counters_cache_lookups_total', { result });

/** Asks until `accept` holds for the answer, within one second (a notification's trip). */
async function seenWithinOneSecond(
  t: TestApp,
  accountId: string,
  accept: (d: Decision) => boolean,
): Promise<Decision> {
  let last: Decision | undefined;
  await waitFor(
    async () => {
      last = await check(t, accountId);
      return accept(last);
    },
    { timeoutMs: 1000, intervalMs: 5, what: 'the change on the other instance' },
  );
  return last!;
}

/** Checks until an answer comes from memory: the entry is cached (no fixed wait). */
async function cached(t: TestApp, accountId: string): Promise<Decision> {
  let answer: Decision | undefined;
  await waitFor(
    async () => {
      const before = await lookups(t, 'hit');
      answer = await check(t, accountId);
      return (await lookups(t, 'hit')) === before + 1;
    },
    { timeoutMs: 2000, intervalMs: 5, what: 'a cached answer' },
  );
  return answer!;
}

describe('counters cache on one instance (injected clock)', () => {
  const clock = new ManualClock(new Date('2026-03-10T12:00:00Z'));
  const source = new FakeEntitlementSource();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      clock,
      // A TTL longer than any clock move here: only the boundaries under test end an entry.
      env: { COVERAGE_CACHE_TTL_MS: '3600000' },
      override: (b) => b.overrideProvider(EntitlementSource).useValue(source),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const activeAccount = () => {
    const accountId = newId('acct');
    source.set(accountId, 'active');
    return accountId;
  };

  it('sees its own admission and finish at once', async () => {
    clock.set('2026-03-10T12:00:00Z');
    const accountId = activeAccount();
    expect((await cached(t, accountId)).concurrency.running).toBe(0);
    const jobId = newId('job');
    await admit(t, accountId, jobId);
    expect((await check(t, accountId)).concurrency.running).toBe(1);
    await finish(t, jobId, 'completed');
    expect(await check(t, accountId)).toMatchObject({
      concurrency: { running: 0 },
      fairUse: { renderSparkToday: 1 },
    });
  });

  it('stops counting a lease from its expiry, without any change announced', async () => {
    clock.set('2026-03-10T12:00:00Z');
    const accountId = activeAccount();
    const { leaseExpiresAt } = await admit(t, accountId, newId('job'));
    const expiry = new Date(leaseExpiresAt).getTime();
    expect((await cached(t, accountId)).concurrency.running).toBe(1);

    clock.set(new Date(expiry - 1));
    const hits = await lookups(t, 'hit');
    expect((await check(t, accountId)).concurrency.running).toBe(1);
    expect(await lookups(t, 'hit')).toBe(hits + 1);

    clock.set(new Date(expiry));
    const misses = await lookups(t, 'miss');
    expect((await check(t, accountId)).concurrency.running).toBe(0);
    expect(await lookups(t, 'miss')).toBe(misses + 1);
  });

  it('resets the day’s usage at 00:00 UTC, without any change announced', async () => {
    clock.set('2026-03-10T23:50:00Z');
    const accountId = activeAccount();
    const jobId = newId('job');
    await admit(t, accountId, jobId);
    await finish(t, jobId, 'completed');
    expect((await cached(t, accountId)).fairUse.renderSparkToday).toBe(1);

    clock.set('2026-03-10T23:59:59.999Z');
    const hits = await lookups(t, 'hit');
    expect((await check(t, accountId)).fairUse.renderSparkToday).toBe(1);
    expect(await lookups(t, 'hit')).toBe(hits + 1);

    clock.set('2026-03-11T00:00:00Z');
    const misses = await lookups(t, 'miss');
    expect((await check(t, accountId)).fairUse.renderSparkToday).toBe(0);
    expect(await lookups(t, 'miss')).toBe(misses + 1);
  });

  it('reads again once the TTL has passed', async () => {
    clock.set('2026-03-10T12:00:00Z');
    const accountId = activeAccount();
    await cached(t, accountId);
    clock.advance(3_600_000 - 1);
    const hits = await lookups(t, 'hit');
    await check(t, accountId);
    expect(await lookups(t, 'hit')).toBe(hits + 1);
    clock.advance(1);
    const misses = await lookups(t, 'miss');
    await check(t, accountId);
    expect(await lookups(t, 'miss')).toBe(misses + 1);
  });
});

const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describeOnPostgres('counters cache across two instances on one Postgres', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp();
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  async function subscribedAccount(): Promise<string> {
    const accountId = newId('acct');
    const now = new Date();
    await a.app.get(EntitlementService).apply(
      snapshot(now, {
        accountId,
        status: 'active',
        observedAt: new Date(now.getTime() - 60_000),
      }),
    );
    return accountId;
  }

  it('an admission and a finish through one instance reach the other’s check within one second', async () => {
    const accountId = await subscribedAccount();
    expect(await cached(b, accountId)).toMatchObject({
      reason: 'covered',
      concurrency: { running: 0 },
      fairUse: { renderSparkToday: 0 },
    });

    const jobId = newId('job');
    await admit(a, accountId, jobId);
    await seenWithinOneSecond(b, accountId, (d) => d.concurrency.running === 1);
    expect((await cached(b, accountId)).concurrency.running).toBe(1);

    await finish(a, jobId, 'completed');
    const after = await seenWithinOneSecond(
      b,
      accountId,
      (d) => d.concurrency.running === 0 && d.fairUse.renderSparkToday === 1,
    );
    expect(after.reason).toBe('covered');

    await finish(a, jobId, 'refunded');
    await seenWithinOneSecond(b, accountId, (d) => d.fairUse.renderSparkToday === 0);
  });

  it('changes of many accounts at once, announced in batches, all reach the other instance', async () => {
    const accounts = await Promise.all(Array.from({ length: 6 }, () => subscribedAccount()));
    for (const id of accounts) expect((await cached(b, id)).concurrency.running).toBe(0);
    await Promise.all(accounts.map((id) => admit(a, id, newId('job'))));
    for (const id of accounts) {
      await seenWithinOneSecond(b, id, (d) => d.concurrency.running === 1);
    }
  });

  it('reads counters fresh while its listener is down, and caches again once it is back', async () => {
    const accountId = await subscribedAccount();
    expect((await cached(b, accountId)).concurrency.running).toBe(0);
    const listener = b.app.get(EntitlementChangeListener);

    await a.app.get(DataSource).query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'entitlement-service-listener'`,
    );
    await waitFor(() => !listener.isListening(), { timeoutMs: 5000, what: 'the listener down' });

    // Nobody hears this admission; the deaf instance must still count it.
    await admit(a, accountId, newId('job'));
    const bypassed = await lookups(b, 'bypass');
    const hits = await lookups(b, 'hit');
    expect((await check(b, accountId)).concurrency.running).toBe(1);
    expect(await lookups(b, 'bypass')).toBe(bypassed + 1);
    expect(await lookups(b, 'hit')).toBe(hits);

    await waitFor(() => listener.isListening(), { timeoutMs: 5000, what: 'the listener back' });
    expect((await cached(b, accountId)).concurrency.running).toBe(1);
    await admit(a, accountId, newId('job'));
    await seenWithinOneSecond(b, accountId, (d) => d.concurrency.running === 2);
  });
});
