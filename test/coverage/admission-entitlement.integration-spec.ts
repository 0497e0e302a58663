import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccountsService } from '../../src/accounts/accounts.service';
import { CoverageCheckReader } from '../../src/coverage/coverage-check-reader';
import { CountersChangeAnnouncer } from '../../src/coverage/counters-change.announcer';
import { CoverageCountersCache } from '../../src/coverage/coverage-counters-cache';
import {
  EntitlementCache,
  EntitlementSource,
  type EntitlementRow,
} from '../../src/coverage/entitlement-cache';
import { ENTITLEMENT_COLUMNS } from '../../src/coverage/entitlement-source.provider';
import {
  COUNTER_COLUMNS,
  counterParams,
  LIVE_LEASES,
  type CountersRow,
} from '../../src/coverage/coverage-counters';
import type { PlanId, PrimaryState } from '../../src/entitlements/domain';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';
import { waitFor } from '../support/wait';
import { snapshot } from './entitlement.builders';

type Kind = PrimaryState | 'no_subscription' | 'suspended' | 'two_subscriptions';

const KINDS: readonly (readonly [Kind, PlanId])[] = [
  ['active', 'unlimited'],
  ['active', 'unlimited_pro'],
  ['trial', 'unlimited'],
  ['past_due', 'unlimited'],
  ['paused', 'unlimited_pro'],
  ['expired', 'unlimited'],
  ['revoked', 'unlimited'],
  ['incomplete', 'unlimited'],
  ['no_subscription', 'unlimited'],
  ['suspended', 'unlimited_pro'],
  ['two_subscriptions', 'unlimited'],
];

let seq = 0;

/**
 * The coverage module derives entitlements from the entitlement persistence's rows (admission
 * within its locked statement, the cache in one statement of its own): always the answer
 * `EntitlementService.getAccountEntitlement` gives.
 */
describe('admission reads the same entitlement as the entitlement persistence', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function account(kind: Kind, plan: PlanId): Promise<string> {
    const accountId = `ent_${kind}_${Date.now().toString(36)}_${++seq}`;
    const now = new Date();
    const observedAt = new Date(now.getTime() - 60_000);
    const entitlements = t.app.get(EntitlementService);
    if (kind === 'no_subscription') return accountId;
    const status = kind === 'suspended' || kind === 'two_subscriptions' ? 'active' : kind;
    await entitlements.apply(snapshot(now, { accountId, status, plan, observedAt }));
    if (kind === 'two_subscriptions') {
      await entitlements.apply({
        ...snapshot(now, { accountId, status: 'trial', plan: 'unlimited_pro', observedAt }),
        store: 'google',
        storeSubscriptionId: `gpa_${accountId}`,
        productId: 'unlimited_pro_monthly',
      });
    }
    if (kind === 'suspended') {
      await t.app.get(AccountsService).suspend(accountId, 'chargeback', 'chargeback');
    }
    return accountId;
  }

  it.each(KINDS)(
    '%s on %s: the derivation from the rows equals the persistence’s',
    async (kind, plan) => {
      const accountId = await account(kind, plan);
      const now = new Date();
      const source = t.app.get(EntitlementSource);
      expect(source.fromRow).not.toBeNull();
      const [row] = (await t.app
        .get(DataSource)
        .query(`SELECT ${ENTITLEMENT_COLUMNS}`, [accountId])) as EntitlementRow[];
      const persisted = await t.app.get(EntitlementService).getAccountEntitlement(accountId, now);
      expect(source.fromRow!(row, accountId, now)).toEqual(persisted);
      expect(await source.getAccountEntitlement(accountId, now)).toEqual(persisted);
    },
  );

  const send = (path: string, body: object) =>
    request(t.server).post(path).set('authorization', bearer('gateway')).send(body);

  it.each(KINDS)(
    '%s on %s: a job is admitted on the entitlement the check answers with',
    async (kind, plan) => {
      const accountId = await account(kind, plan);
      const check = await send('/v1/coverage', { accountId, modelId: 'sdxl-1024' }).expect(200);
      const admitted = await send('/v1/jobs', {
        accountId,
        modelId: 'sdxl-1024',
        jobId: `job_${accountId}`,
      });
      expect(admitted.status).toBe(check.body.covered ? 201 : 200);
      const { jobId, leaseExpiresAt, ...decision } = admitted.body as Record<string, unknown>;
      expect(jobId).toBe(`job_${accountId}`);
      expect(leaseExpiresAt === null).toBe(!check.body.covered);
      expect(decision).toEqual(check.body);
    },
  );

  it.each(KINDS)(
    '%s on %s: admission’s locked read (a database function) reads what the coverage check reads',
    async (kind, plan) => {
      const accountId = await account(kind, plan);
      const jobs = [`a_${accountId}`, `b_${accountId}`, `c_${accountId}`];
      for (const jobId of jobs) {
        await send('/v1/jobs', { accountId, modelId: 'sdxl-1024', jobId });
      }
      await send(`/v1/jobs/${jobs[0]}/finish`, { outcome: 'completed' });
      const now = new Date();
      const db = t.app.get(DataSource);
      for (const withTrial of [true, false]) {
        const [expected] = (await db.query(
          `SELECT ${ENTITLEMENT_COLUMNS}, ${COUNTER_COLUMNS} FROM ${LIVE_LEASES}`,
          counterParams(accountId, now, withTrial),
        )) as (EntitlementRow & CountersRow)[];
        const stored = (await db.query(
          `SELECT account_id, request_hash, http_status, decision FROM job_leases WHERE job_id = $1`,
          [jobs[1]],
        )) as unknown[];
        const runner = db.createQueryRunner();
        await runner.startTransaction();
        try {
          const [{ read }] = (await runner.query(
            `SELECT coverage_admission_read($1, $2, $3, $4, $5) AS "read"`,
            [...counterParams(accountId, now, withTrial), jobs[1]],
          )) as { read: EntitlementRow & CountersRow & { stored: unknown } }[];
          const { nextExpiry, stored: readStored, ...rest } = read;
          const { nextExpiry: expectedExpiry, ...expectedRest } = expected;
          expect(rest).toEqual(expectedRest);
          expect(nextExpiry === null ? null : new Date(nextExpiry).getTime()).toBe(
            expectedExpiry === null ? null : new Date(expectedExpiry).getTime(),
          );
          expect(readStored).toEqual(stored[0]);
        } finally {
          await runner.rollbackTransaction();
          await runner.release();
        }
      }
    },
  );

  it('the refresh-ahead read of many accounts in one statement reads what the check reads of each', async () => {
    const accounts: string[] = [];
    for (const [kind, plan] of KINDS) {
      const accountId = await account(kind, plan);
      accounts.push(accountId);
      await send('/v1/jobs', { accountId, modelId: 'sdxl-1024', jobId: `m1_${accountId}` });
      await send('/v1/jobs', { accountId, modelId: 'sdxl-1024', jobId: `m2_${accountId}` });
      await send(`/v1/jobs/m1_${accountId}/finish`, { outcome: 'completed' });
    }
    accounts.push(`never_seen_${Date.now().toString(36)}`);
    const reader = t.app.get(CoverageCheckReader);
    const entitlements = t.app.get(EntitlementCache);
    const counters = t.app.get(CoverageCountersCache);
    expect(entitlements.isLive()).toBe(true);
    await t.app.get(CountersChangeAnnouncer).settled();
    const now = new Date();
    // The jobs' change notifications may still be on their way: a read they overtake is
    // (rightly) not kept. Read until every account's entries are kept (no fixed wait).
    await waitFor(
      async () => {
        for (const accountId of accounts) {
          entitlements.invalidate(accountId);
          counters.invalidate(accountId);
        }
        await reader.readMany(accounts, now);
        return accounts.every(
          (id) => entitlements.peek(id, now) !== undefined && counters.peek(id, now) !== undefined,
        );
      },
      { timeoutMs: 5000, intervalMs: 20, what: 'every account read and kept' },
    );
    for (const accountId of accounts) {
      const many = {
        entitlement: entitlements.peek(accountId, now),
        counters: counters.peek(accountId, now),
      };
      expect(many.entitlement).toBeDefined();
      expect(many.counters).toBeDefined();
      expect(many).toEqual(await reader.readOne(accountId, now));
    }
  });

  it('a refresh keeps a cached entitlement whose rows have not changed, and derives again where they differ', async () => {
    const same = await account('active', 'unlimited');
    const differs = await account('active', 'unlimited_pro');
    const reader = t.app.get(CoverageCheckReader);
    const entitlements = t.app.get(EntitlementCache);
    const now = new Date();
    await waitFor(
      async () => {
        await reader.readOne(same, now);
        await reader.readOne(differs, now);
        return entitlements.known(same) !== undefined && entitlements.known(differs) !== undefined;
      },
      { timeoutMs: 5000, intervalMs: 20, what: 'both accounts read and kept' },
    );
    const kept = entitlements.known(same)!.value;
    // As if the cached value of the other came from rows that have changed since.
    const stale = { ...kept, accountId: differs, plan: 'unlimited' as const };
    entitlements.remember(differs, stale, entitlements.track(), 'a digest of other rows');

    const later = new Date(now.getTime() + 1000);
    await reader.readMany([same, differs], later);
    expect(entitlements.known(same)!.value).toBe(kept); // the same object: not derived again
    const derived = entitlements.known(differs)!.value;
    expect(derived).not.toBe(stale);
    expect(derived.plan).toBe('unlimited_pro');
    expect(derived).toEqual((await reader.readOne(differs, later)).entitlement);
  });
});
