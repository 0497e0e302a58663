import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccountsService } from '../../src/accounts/accounts.service';
import { EntitlementChangeListener } from '../../src/coverage/entitlement-change.listener';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { MetricsService } from '../../src/metrics/metrics.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';
import { snapshot } from './entitlement.builders';

const DEADLINE_MS = 1000;

/** Polls `probe` until it returns true or the deadline passes; returns the elapsed milliseconds. */
async function within(deadlineMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > deadlineMs) {
      throw new Error(`not seen within ${deadlineMs} ms`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let seq = 0;
const newAccount = () => `cache_${Date.now().toString(36)}_${++seq}`;

const coverage = (t: TestApp, accountId: string) =>
  request(t.server)
    .post('/v1/coverage')
    .set('authorization', bearer('gateway'))
    .send({ accountId, modelId: 'sdxl-1024' })
    .expect(200)
    .then((res) => res.body as { covered: boolean; reason: string });

const hits = (t: TestApp) =>
  t.app.get(MetricsService).value('coverage_entitlement_cache_lookups_total', { result: 'hit' });

async function subscribe(t: TestApp, accountId: string): Promise<void> {
  const now = new Date();
  await t.app
    .get(EntitlementService)
    .apply(
      snapshot(now, { accountId, status: 'active', observedAt: new Date(now.getTime() - 60_000) }),
    );
}

async function revoke(t: TestApp, accountId: string): Promise<void> {
  const now = new Date();
  await t.app
    .get(EntitlementService)
    .apply(snapshot(now, { accountId, status: 'revoked', observedAt: now }));
}

describe('entitlement cache invalidation (one instance)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves repeated checks from memory and sees a revoke at once', async () => {
    const accountId = newAccount();
    await subscribe(t, accountId);
    expect(await coverage(t, accountId)).toMatchObject({ covered: true, reason: 'covered' });
    const before = await hits(t);
    expect(await coverage(t, accountId)).toMatchObject({ covered: true });
    expect(await hits(t)).toBe(before + 1);

    await revoke(t, accountId);
    await within(DEADLINE_MS, async () => (await coverage(t, accountId)).reason === 'revoked');
  });

  it('sees a suspension and its lifting', async () => {
    const accountId = newAccount();
    await subscribe(t, accountId);
    expect((await coverage(t, accountId)).reason).toBe('covered');
    await t.app.get(AccountsService).suspend(accountId, 'chargeback', 'chargeback');
    await within(DEADLINE_MS, async () => (await coverage(t, accountId)).reason === 'suspended');
    await t.app.get(AccountsService).unsuspend(accountId, 'resolved');
    await within(DEADLINE_MS, async () => (await coverage(t, accountId)).reason === 'covered');
  });
});

const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describeOnPostgres('entitlement cache invalidation across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp();
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('a revoke applied through one instance is seen by the other within one second', async () => {
    const accountId = newAccount();
    await subscribe(a, accountId);
    expect((await coverage(b, accountId)).reason).toBe('covered');
    const before = await hits(b);
    expect((await coverage(b, accountId)).reason).toBe('covered');
    expect(await hits(b)).toBe(before + 1);

    await revoke(a, accountId);
    await within(DEADLINE_MS, async () => (await coverage(b, accountId)).reason === 'revoked');
  });

  it('after losing its listener connection an instance reconnects, flushes, and hears changes again', async () => {
    const accountId = newAccount();
    await subscribe(a, accountId);
    expect((await coverage(b, accountId)).reason).toBe('covered');
    const listener = b.app.get(EntitlementChangeListener);
    expect(listener.isListening()).toBe(true);

    await a.app.get(DataSource).query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'entitlement-service-listener'`,
    );
    await within(5000, () => Promise.resolve(!listener.isListening()));
    // While deaf, answers are read fresh: a change is seen even though nobody heard it.
    await revoke(a, accountId);
    expect((await coverage(b, accountId)).reason).toBe('revoked');
    await within(5000, () => Promise.resolve(listener.isListening()));

    const other = newAccount();
    await subscribe(a, other);
    expect((await coverage(b, other)).reason).toBe('covered');
    await a.app.get(AccountsService).suspend(other, 'abuse', 'abuse');
    await within(DEADLINE_MS, async () => (await coverage(b, other)).reason === 'suspended');
  });
});
