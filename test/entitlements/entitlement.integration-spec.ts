import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AccountsService } from '../../src/accounts/accounts.service';
import { TrialsService } from '../../src/accounts/trials.service';
import { ManualClock } from '../../src/common/clock';
import { foldSnapshots, subscriptionStateToJson, transition } from '../../src/entitlements/domain';
import {
  aSnapshot,
  aTrialSnapshot,
  day,
} from '../../src/entitlements/domain/testing/snapshot.builder';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { PermanentInboxError } from '../../src/inbox/inbox.types';
import { MetricsService } from '../../src/metrics/metrics.service';
import { createTestApp, TestApp } from '../support/test-app';
import { createIsolatedDatabase } from '../support/test-database';
import { waitFor } from '../support/wait';

const sharedDatabase = process.env.DATABASE_URL !== undefined;
const itShared = sharedDatabase ? it : it.skip;
if (!sharedDatabase) {
  console.warn(
    'entitlement persistence: the notification and lock-step conflict tests are skipped ' +
      '(they need DATABASE_URL: a second connection)',
  );
}

interface HistoryRow {
  account_id: string;
  transition: string;
  store_subscription_id: string;
  inbox_event_id: string | null;
}

describe('entitlement persistence (apply, reads, linking, trials)', () => {
  let isolated: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let t: TestApp;
  let service: EntitlementService;
  let db: DataSource;
  const clock = new ManualClock(day(1));

  const historyOf = (subscriptionId: string): Promise<HistoryRow[]> =>
    db.query(
      `SELECT account_id, transition, store_subscription_id, inbox_event_id
         FROM entitlement_history WHERE store_subscription_id = $1 ORDER BY id`,
      [subscriptionId],
    );

  beforeAll(async () => {
    isolated = await createIsolatedDatabase();
    t = await createTestApp({
      clock,
      env: isolated ? { DATABASE_URL: isolated.url } : {},
    });
    service = t.app.get(EntitlementService);
    db = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t.close();
    await isolated?.drop();
  });

  it('creates a subscription from its first snapshot and derives the account entitlement', async () => {
    const result = await service.apply(aSnapshot({ storeSubscriptionId: 'sub_first' }), {
      inboxEventId: '00000000-0000-4000-8000-000000000001',
    });
    expect(result).toMatchObject({
      stale: false,
      created: true,
      changed: true,
      accountId: 'acc_1',
      transitions: [],
      outcome: 'applied',
    });
    const stored = await service.getSubscription('stripe', 'sub_first');
    expect(stored?.version).toBe(1);
    expect(stored?.accountId).toBe('acc_1');
    expect(stored?.state.latest.status).toBe('active');
    const [row] = await db.query(
      `SELECT status, plan, current_period_end, observed_at FROM store_subscriptions
        WHERE account_id = 'acc_1' AND store_subscription_id = 'sub_first'`,
    );
    expect(row).toMatchObject({ status: 'active', plan: 'unlimited' });
    expect(new Date(row.current_period_end)).toEqual(day(30));
    expect(await historyOf('sub_first')).toEqual([
      {
        account_id: 'acc_1',
        transition: 'subscription_created',
        store_subscription_id: 'sub_first',
        inbox_event_id: '00000000-0000-4000-8000-000000000001',
      },
    ]);

    const entitlement = await service.getAccountEntitlement('acc_1', day(2));
    expect(entitlement).toMatchObject({
      covered: true,
      plan: 'unlimited',
      state: 'active',
      provider: 'stripe',
      limits: { image: 4, video: 1 },
    });
    const later = await service.getAccountEntitlement('acc_1', day(40));
    expect(later).toMatchObject({ covered: false, state: 'expired', reason: 'expired' });
  });

  it('reads an unknown account as no subscription', async () => {
    expect(await service.subscriptionsForAccount('acc_never_seen')).toEqual([]);
    expect(await service.getAccountEntitlement('acc_never_seen', day(2))).toMatchObject({
      covered: false,
      state: 'no_subscription',
      reason: 'no_subscription',
      subscriptions: [],
      limits: { image: 0, video: 0 },
    });
  });

  it('ignores a stale snapshot: the newer stored one stays, the old one is kept for replay', async () => {
    const id = 'sub_stale';
    await service.apply(aSnapshot({ storeSubscriptionId: id, observedAt: day(0) }));
    const newer = await service.apply(
      aSnapshot({ storeSubscriptionId: id, observedAt: day(1), cancelAtPeriodEnd: true }),
    );
    expect(newer.transitions).toEqual(['cancel_scheduled']);
    const older = await service.apply(
      aSnapshot({ storeSubscriptionId: id, observedAt: day(0.5), cancelAtPeriodEnd: false }),
    );
    expect(older).toMatchObject({ stale: true, transitions: [], outcome: 'stale', changed: false });
    const stored = await service.getSubscription('stripe', id);
    expect(stored?.state.latest.cancelAtPeriodEnd).toBe(true);
    expect(stored?.version).toBe(2);
    const outcomes = await db.query(
      `SELECT outcome FROM applied_snapshots WHERE store_subscription_id = $1 ORDER BY observed_at`,
      [id],
    );
    expect(outcomes.map((r: { outcome: string }) => r.outcome)).toEqual([
      'applied',
      'stale',
      'applied',
    ]);
    expect((await historyOf(id)).map((r) => r.transition)).toEqual([
      'subscription_created',
      'cancel_scheduled',
    ]);
  });

  it('writes named transitions and serves the history newest first, paged', async () => {
    const id = 'sub_trial_flow';
    const account = 'acc_history';
    // History times are the store's (capped at now): let these snapshots be in the past.
    clock.set(day(10));
    await service.apply(aTrialSnapshot({ storeSubscriptionId: id, accountId: account }));
    const converted = await service.apply(
      aSnapshot({
        storeSubscriptionId: id,
        accountId: account,
        observedAt: day(3),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
        sourceEvent: 'invoice.paid',
      }),
    );
    expect(converted.transitions).toEqual(['converted']);
    const upgraded = await service.apply(
      aSnapshot({
        storeSubscriptionId: id,
        accountId: account,
        observedAt: day(5),
        plan: 'unlimited_pro',
        productId: 'unlimited_pro_monthly',
        currentPeriodStart: day(5),
        currentPeriodEnd: day(35),
        trialEnd: day(3),
      }),
    );
    expect(upgraded.transitions).toEqual(['upgraded']);

    const first = await service.history(account, { limit: 2 });
    expect(first.entries.map((e) => e.transition)).toEqual(['upgraded', 'converted']);
    expect(first.entries[0]).toMatchObject({
      store: 'stripe',
      storeSubscriptionId: id,
      fromPlan: 'unlimited',
      toPlan: 'unlimited_pro',
      fromState: 'active',
      toState: 'active',
      occurredAt: day(5).toISOString(),
    });
    expect(first.nextBefore).not.toBeNull();
    const second = await service.history(account, { limit: 2, before: first.nextBefore! });
    expect(second.entries.map((e) => e.transition)).toEqual([
      'trial_started',
      'subscription_created',
    ]);
    expect(second.nextBefore).toBeNull();
    const entitlement = await service.getAccountEntitlement(account, day(6));
    expect(entitlement).toMatchObject({ plan: 'unlimited_pro', limits: { image: 16, video: 4 } });
  });

  it('keeps an unlinked purchase, reports it, and links it (with its history) when a snapshot names the account', async () => {
    const metrics = t.app.get(MetricsService);
    const before = await metrics.value('entitlement_unlinked_snapshots_total', { store: 'apple' });
    const id = '2000000123456789';
    const unlinked = await service.apply(
      aSnapshot({
        store: 'apple',
        storeSubscriptionId: id,
        accountId: null,
        productId: 'unlimited.monthly',
        sourceEvent: 'SUBSCRIBED/INITIAL_BUY',
      }),
    );
    expect(unlinked.accountId).toBeNull();
    expect(await metrics.value('entitlement_unlinked_snapshots_total', { store: 'apple' })).toBe(
      before + 1,
    );
    expect((await service.getSubscription('apple', id))?.accountId).toBeNull();

    const linked = await service.apply(
      aSnapshot({
        store: 'apple',
        storeSubscriptionId: id,
        accountId: 'acc_linked',
        observedAt: day(0.5),
        productId: 'unlimited.monthly',
        sourceEvent: 'DID_CHANGE_RENEWAL_STATUS',
      }),
    );
    expect(linked).toMatchObject({ accountId: 'acc_linked', previousAccountId: null });
    expect((await service.getSubscription('apple', id))?.accountId).toBe('acc_linked');
    expect(await service.subscriptionsForAccount('acc_linked')).toHaveLength(1);
    expect(await historyOf(id)).toEqual([
      expect.objectContaining({ account_id: 'acc_linked', transition: 'subscription_created' }),
      expect.objectContaining({ account_id: 'acc_linked', transition: 'linked' }),
    ]);

    // A later snapshot without an account never unlinks it.
    await service.apply(
      aSnapshot({
        store: 'apple',
        storeSubscriptionId: id,
        accountId: null,
        observedAt: day(0.7),
        productId: 'unlimited.monthly',
      }),
    );
    expect((await service.getSubscription('apple', id))?.accountId).toBe('acc_linked');
  });

  it('moves a subscription whose account changes and writes `transferred` to both accounts', async () => {
    const id = 'purchase-token-transfer';
    await service.apply(
      aSnapshot({ store: 'google', storeSubscriptionId: id, accountId: 'acc_from' }),
    );
    const moved = await service.apply(
      aSnapshot({
        store: 'google',
        storeSubscriptionId: id,
        accountId: 'acc_to',
        observedAt: day(0.5),
      }),
    );
    expect(moved).toMatchObject({
      transitions: ['transferred'],
      accountId: 'acc_to',
      previousAccountId: 'acc_from',
    });
    expect(await service.subscriptionsForAccount('acc_from')).toEqual([]);
    expect(await service.subscriptionsForAccount('acc_to')).toHaveLength(1);
    expect((await service.getSubscription('google', id))?.version).toBe(2);
    const transferred = (await historyOf(id)).filter((r) => r.transition === 'transferred');
    expect(transferred.map((r) => r.account_id).sort()).toEqual(['acc_from', 'acc_to']);
    expect((await service.getAccountEntitlement('acc_from', day(1))).covered).toBe(false);
    expect((await service.getAccountEntitlement('acc_to', day(1))).covered).toBe(true);
  });

  it('names the plan change of a replacement purchase (Google linkedPurchaseToken) once', async () => {
    const account = 'acc_replacement';
    await service.apply(
      aSnapshot({
        store: 'google',
        storeSubscriptionId: 'token-old',
        accountId: account,
        productId: 'unlimited/monthly',
      }),
    );
    const upgrade = aSnapshot({
      store: 'google',
      storeSubscriptionId: 'token-new',
      accountId: account,
      observedAt: day(0.5),
      plan: 'unlimited_pro',
      productId: 'unlimited_pro/monthly',
      currentPeriodStart: day(0.5),
      currentPeriodEnd: day(30.5),
      supersedes: 'token-old',
    });
    const result = await service.apply(upgrade);
    expect(result).toMatchObject({ created: true, transitions: ['upgraded'] });
    const again = await service.apply({ ...upgrade, observedAt: day(0.6) });
    expect(again.transitions).toEqual([]);
    const upgraded = (await historyOf('token-new')).filter((r) => r.transition === 'upgraded');
    expect(upgraded).toHaveLength(1);
    const entitlement = await service.getAccountEntitlement(account, day(1));
    expect(entitlement).toMatchObject({ plan: 'unlimited_pro', storeSubscriptionId: 'token-new' });
    expect(
      entitlement.subscriptions.find((s) => s.storeSubscriptionId === 'token-old'),
    ).toMatchObject({ excluded: 'superseded' });
    const [entry] = (await service.history(account, { limit: 10 })).entries.filter(
      (e) => e.transition === 'upgraded',
    );
    expect(entry).toMatchObject({
      fromPlan: 'unlimited',
      toPlan: 'unlimited_pro',
      details: expect.objectContaining({ replaces: 'token-old' }),
    });
  });

  it('records a trial grant against the person: account, payment method and device', async () => {
    const trials = t.app.get(TrialsService);
    expect(
      await trials.eligibility({ accountId: 'acc_trial', paymentFingerprint: 'fp_card_1' }),
    ).toEqual({ eligible: true, reason: null });
    await service.apply(
      aTrialSnapshot({
        storeSubscriptionId: 'sub_trial_grant',
        accountId: 'acc_trial',
        trialSignals: { paymentFingerprint: 'fp_card_1', deviceId: 'device_1' },
      }),
    );
    expect(await trials.eligibility({ accountId: 'acc_trial' })).toEqual({
      eligible: false,
      reason: 'account_had_trial',
    });
    expect(
      await trials.eligibility({ accountId: 'acc_other', paymentFingerprint: 'fp_card_1' }),
    ).toEqual({ eligible: false, reason: 'payment_method_had_trial' });
    expect(await trials.eligibility({ accountId: 'acc_other', deviceId: 'device_1' })).toEqual({
      eligible: false,
      reason: 'device_had_trial',
    });
    expect(
      await trials.isEligible({
        accountId: 'acc_other',
        paymentFingerprint: 'fp_card_2',
        deviceId: 'device_2',
      }),
    ).toBe(true);
    // Resubscribing never starts a trial: an account that paid before gets none.
    expect(await trials.eligibility({ accountId: 'acc_1' })).toEqual({
      eligible: false,
      reason: 'account_subscribed_before',
    });
  });

  it('does not count sandbox purchases toward one-trial-per-person', async () => {
    const trials = t.app.get(TrialsService);
    await service.apply(
      aTrialSnapshot({
        storeSubscriptionId: 'sub_sandbox_trial',
        accountId: 'acc_sandbox',
        sandbox: true,
        trialSignals: { paymentFingerprint: 'fp_sandbox' },
      }),
    );
    expect(
      await trials.eligibility({ accountId: 'acc_sandbox', paymentFingerprint: 'fp_sandbox' }),
    ).toEqual({ eligible: true, reason: null });
  });

  it('records an unknown product in the history and grants nothing', async () => {
    const id = 'sub_unknown_product';
    await service.apply(
      aSnapshot({
        storeSubscriptionId: id,
        accountId: 'acc_unknown',
        plan: null,
        interval: null,
        productId: 'mystery_monthly',
      }),
    );
    expect((await historyOf(id)).map((r) => r.transition)).toEqual([
      'subscription_created',
      'unknown_product',
    ]);
    const entitlement = await service.getAccountEntitlement('acc_unknown', day(2));
    expect(entitlement.covered).toBe(false);
    expect(entitlement.subscriptions[0]).toMatchObject({ excluded: 'unknown_product' });
  });

  it('refuses a malformed snapshot for good and keeps a malformed account id unlinked', async () => {
    await expect(
      service.apply(aSnapshot({ storeSubscriptionId: '', accountId: 'acc_bad' })),
    ).rejects.toBeInstanceOf(PermanentInboxError);
    const result = await service.apply(
      aSnapshot({ storeSubscriptionId: 'sub_bad_account', accountId: 'not an id!' }),
    );
    expect(result.accountId).toBeNull();
  });

  it('answers not covered for a suspended account, whatever its subscriptions', async () => {
    const accounts = t.app.get(AccountsService);
    await service.apply(aSnapshot({ storeSubscriptionId: 'sub_suspended', accountId: 'acc_susp' }));
    await accounts.suspend('acc_susp', 'chargeback under review', 'chargeback');
    expect(await service.getAccountEntitlement('acc_susp', day(2))).toMatchObject({
      covered: false,
      state: 'suspended',
      reason: 'suspended',
      subscriptionState: 'active',
    });
    await accounts.unsuspend('acc_susp', 'resolved');
    expect((await service.getAccountEntitlement('acc_susp', day(2))).covered).toBe(true);
    const entries = (await service.history('acc_susp')).entries.map((e) => e.transition);
    expect(entries.slice(0, 2)).toEqual(['unsuspended', 'suspended']);
  });

  it('never loses an update when many snapshots of one subscription arrive at once', async () => {
    const id = 'sub_burst';
    const snapshots = Array.from({ length: 12 }, (_, i) =>
      aSnapshot({
        storeSubscriptionId: id,
        accountId: 'acc_burst',
        observedAt: new Date(day(0).getTime() + i * 60_000),
        trialSignals: { paymentFingerprint: `fp_${String(i).padStart(2, '0')}` },
      }),
    );
    const results = await Promise.all(snapshots.map((s) => service.apply(s)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const stored = await service.getSubscription('stripe', id);
    // Every snapshot's sticky aggregate is there: no writer overwrote another's.
    expect(subscriptionStateToJson(stored!.state)).toEqual(
      subscriptionStateToJson(foldSnapshots(snapshots)!),
    );
    expect(stored!.state.latest.observedAt).toEqual(snapshots[11].observedAt);
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM applied_snapshots WHERE store_subscription_id = $1`,
      [id],
    );
    expect(n).toBe(12);
  });

  it('two concurrent updates of one subscription: the newest wins and the history is consistent', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `sub_pair_${round}`;
      await service.apply(aSnapshot({ storeSubscriptionId: id, accountId: 'acc_pair' }));
      const renewal = aSnapshot({
        storeSubscriptionId: id,
        accountId: 'acc_pair',
        observedAt: day(0.2),
      });
      const cancel = aSnapshot({
        storeSubscriptionId: id,
        accountId: 'acc_pair',
        observedAt: day(0.4),
        cancelAtPeriodEnd: true,
      });
      const [a, b] = await Promise.all([service.apply(renewal), service.apply(cancel)]);
      expect(b.stale).toBe(false);
      expect(b.transitions).toEqual(['cancel_scheduled']);
      expect(a.transitions).toEqual([]);
      const stored = await service.getSubscription('stripe', id);
      expect(stored?.state.latest.observedAt).toEqual(day(0.4));
      expect(stored?.state.latest.cancelAtPeriodEnd).toBe(true);
      expect(stored?.version).toBe(a.stale ? 2 : 3);
      expect((await historyOf(id)).map((r) => r.transition)).toEqual([
        'subscription_created',
        'cancel_scheduled',
      ]);
    }
  });

  itShared(
    'redoes a write whose version moved on under it (lock-step, second connection)',
    async () => {
      const id = 'sub_lockstep';
      const metrics = t.app.get(MetricsService);
      await service.apply(aSnapshot({ storeSubscriptionId: id, accountId: 'acc_lock' }));
      const other = new Client({ connectionString: (isolated ?? { url: '' }).url });
      await other.connect();
      try {
        const conflictsBefore = await metrics.value('entitlement_write_conflicts_total');
        // Another writer holds the row with a newer version, not yet committed.
        const concurrent = aSnapshot({
          storeSubscriptionId: id,
          accountId: 'acc_lock',
          observedAt: day(0.3),
          trialSignals: { deviceId: 'device_concurrent' },
        });
        const { next } = transition(
          (await service.getSubscription('stripe', id))!.state,
          concurrent,
          day(1),
        );
        await other.query('BEGIN');
        await other.query(
          `UPDATE store_subscriptions SET state = $1::jsonb, observed_at = $2, version = version + 1
          WHERE account_id = 'acc_lock' AND store_subscription_id = $3`,
          [JSON.stringify(subscriptionStateToJson(next)), day(0.3), id],
        );
        const mine = service.apply(
          aSnapshot({
            storeSubscriptionId: id,
            accountId: 'acc_lock',
            observedAt: day(0.6),
            cancelAtPeriodEnd: true,
          }),
        );
        await waitFor(
          async () => {
            const waiting = await other.query(
              `SELECT 1 FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'
                AND pid <> pg_backend_pid()`,
            );
            return (waiting.rowCount ?? 0) > 0;
          },
          { what: 'the apply to wait on the row lock' },
        );
        await other.query('COMMIT');
        const result = await mine;
        expect(result.transitions).toEqual(['cancel_scheduled']);
        expect(await metrics.value('entitlement_write_conflicts_total')).toBe(conflictsBefore + 1);
        const stored = await service.getSubscription('stripe', id);
        expect(stored?.version).toBe(3);
        // The concurrent writer's contribution survived the retried write.
        expect(stored?.state.trialSignals.deviceIds).toEqual(['device_concurrent']);
        expect(stored?.state.latest.cancelAtPeriodEnd).toBe(true);
      } finally {
        await other.query('ROLLBACK').catch(() => undefined);
        await other.end();
      }
    },
  );

  itShared('announces entitlement_changed for the account when its state changes', async () => {
    const listener = new Client({ connectionString: (isolated ?? { url: '' }).url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => {
      if (n.channel === 'entitlement_changed' && n.payload) heard.push(n.payload);
    });
    try {
      await listener.query('LISTEN entitlement_changed');
      await service.apply(
        aSnapshot({ storeSubscriptionId: 'sub_notify', accountId: 'acc_notify' }),
      );
      await waitFor(() => heard.includes('acc_notify'), { what: 'the notification' });
      await t.app.get(AccountsService).suspend('acc_notify_2', 'abuse', 'abuse');
      await waitFor(() => heard.includes('acc_notify_2'), { what: 'the suspension notification' });
    } finally {
      await listener.end();
    }
  });
});
