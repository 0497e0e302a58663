/**
 * App Store subscriptions end to end: signed notifications posted to /webhooks/apple, processed
 * from the inbox, read back through GET /v1/accounts/{id}/entitlement. Times are relative to the
 * run's start (the generated certificates are valid around now); the app's clock is moved to
 * each notification's signedDate, and time-based answers are read at chosen instants.
 */
import type { SignedNotification } from '../../fakes/apple/apple-notification.builder';
import { DAY_MS } from '../../fakes/apple/apple-notification.builder';
import {
  AppleSubscriptionSimulator,
  TRIAL_MS,
} from '../../fakes/apple/apple-subscription.simulator';
import { AppleHarness, runStart, type EntitlementBody } from './apple-e2e.harness';

const HOUR_MS = 3_600_000;
const MONTH_MS = 30 * DAY_MS;
const UNLIMITED = { image: 4, video: 1 };
const PRO = { image: 16, video: 4 };

let h: AppleHarness;
const T0 = runStart();

beforeAll(async () => {
  h = await AppleHarness.start({ start: T0 });
});

afterAll(async () => {
  await h?.close();
});

// Every scenario starts at T0 (its own accounts and subscriptions keep scenarios apart).
beforeEach(() => {
  h.clock.set(new Date(T0));
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A lifecycle: the notifications of one subscription, produced in time order. */
type Lifecycle = (sim: AppleSubscriptionSimulator, t0: number) => SignedNotification[];

async function linkedSubscription(productId = 'unlimited.monthly') {
  const { accountId, token } = await h.account();
  return { accountId, sim: h.simulator({ appAccountToken: token, productId }) };
}

describe('Apple lifecycle: free trial, renewal, cancellation', () => {
  it('starts a free trial, then converts at renewal', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0, { freeTrial: true }));
    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      state: 'trial',
      plan: 'unlimited',
      interval: 'month',
      provider: 'apple',
      trialEndsAt: iso(T0 + TRIAL_MS),
      manage: { kind: 'app_store', readOnly: true },
    });

    await h.send(sim.renew(T0 + TRIAL_MS));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      state: 'active',
      plan: 'unlimited',
      currentPeriodEnd: iso(T0 + TRIAL_MS + MONTH_MS),
      limits: UNLIMITED,
    });
    expect(await h.history(accountId)).toEqual(
      expect.arrayContaining(['trial_started', 'converted']),
    );
  });

  it('auto-renew disabled: covered until expiresDate, then expired (by time, then by EXPIRED)', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0));
    await h.send(sim.setAutoRenew(T0 + 5 * DAY_MS, false));
    const expires = sim.expiresDate;

    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: true, state: 'active', cancelAtPeriodEnd: true });
    expect(e.currentPeriodEnd).toBe(iso(expires));

    e = await h.entitlementAt(accountId, expires - HOUR_MS);
    expect(e).toMatchObject({ covered: true, cancelAtPeriodEnd: true });
    // No event yet: time alone ends access once the period and the leeway are over.
    e = await h.entitlementAt(accountId, expires + 2 * HOUR_MS);
    expect(e).toMatchObject({ covered: false, state: 'expired' });

    await h.send(sim.expire(expires + 60_000, 'VOLUNTARY'));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: false, state: 'expired', reason: 'expired' });
    expect(await h.history(accountId)).toEqual(
      expect.arrayContaining(['cancel_scheduled', 'expired']),
    );
  });

  it('auto-renew re-enabled before the period end: no longer canceling, then renews', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0));
    await h.send(sim.setAutoRenew(T0 + 2 * DAY_MS, false));
    await h.send(sim.setAutoRenew(T0 + 4 * DAY_MS, true));
    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: true, state: 'active', cancelAtPeriodEnd: false });

    const expires = sim.expiresDate;
    await h.send(sim.renew(expires));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: true, currentPeriodEnd: iso(expires + MONTH_MS) });
    expect(await h.history(accountId)).toEqual(
      expect.arrayContaining(['cancel_scheduled', 'reactivated', 'renewed']),
    );
  });
});

describe('Apple lifecycle: plan changes', () => {
  it('an upgrade takes effect at once with the new plan limits', async () => {
    const { accountId, sim } = await linkedSubscription('unlimited.monthly');
    await h.send(sim.subscribe(T0));
    expect((await h.entitlement(accountId)).limits).toEqual(UNLIMITED);

    const at = T0 + 10 * DAY_MS;
    await h.send(sim.upgrade(at, 'unlimited_pro.monthly'));
    const e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      plan: 'unlimited_pro',
      limits: PRO,
      pendingChange: null,
      currentPeriodEnd: iso(at + MONTH_MS),
    });
    expect(await h.history(accountId)).toContain('upgraded');
  });

  it('a downgrade keeps the current limits until the renewal, then lowers them', async () => {
    const { accountId, sim } = await linkedSubscription('unlimited_pro.monthly');
    await h.send(sim.subscribe(T0));
    await h.send(sim.downgrade(T0 + 10 * DAY_MS, 'unlimited.monthly'));
    const expires = sim.expiresDate;

    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      plan: 'unlimited_pro',
      limits: PRO,
      pendingChange: { plan: 'unlimited', interval: 'month', effectiveAt: iso(expires) },
    });
    e = await h.entitlementAt(accountId, expires - HOUR_MS);
    expect(e).toMatchObject({ plan: 'unlimited_pro', limits: PRO });

    await h.send(sim.renew(expires));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      plan: 'unlimited',
      limits: UNLIMITED,
      pendingChange: null,
    });
    expect(await h.history(accountId)).toEqual(
      expect.arrayContaining(['downgrade_scheduled', 'downgrade_applied']),
    );
  });

  it('a downgrade reverted before the renewal is withdrawn and the plan stays', async () => {
    const { accountId, sim } = await linkedSubscription('unlimited_pro.monthly');
    await h.send(sim.subscribe(T0));
    await h.send(sim.downgrade(T0 + 10 * DAY_MS, 'unlimited.monthly'));
    await h.send(sim.revertRenewalPref(T0 + 12 * DAY_MS));
    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({ plan: 'unlimited_pro', limits: PRO, pendingChange: null });

    await h.send(sim.renew(sim.expiresDate));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({ plan: 'unlimited_pro', limits: PRO, covered: true });
    expect(await h.history(accountId)).toContain('downgrade_withdrawn');
  });
});

describe('Apple lifecycle: billing problems', () => {
  it('grace period and billing retry are past_due (not covered) until billing recovery', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0));
    const expires = sim.expiresDate;

    await h.send(sim.failToRenew(expires, 16 * DAY_MS));
    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: false, state: 'past_due', reason: 'past_due' });

    await h.send(sim.gracePeriodExpired(expires + 16 * DAY_MS));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: false, state: 'past_due' });

    const recoveredAt = expires + 20 * DAY_MS;
    await h.send(sim.renew(recoveredAt));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      state: 'active',
      currentPeriodEnd: iso(recoveredAt + MONTH_MS),
    });
    expect(await h.history(accountId)).toEqual(
      expect.arrayContaining(['payment_failed', 'recovered']),
    );
  });

  it('billing retry without a grace period, then expiry after the retries', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0));
    const expires = sim.expiresDate;
    await h.send(sim.failToRenew(expires));
    expect(await h.entitlement(accountId)).toMatchObject({ covered: false, state: 'past_due' });
    await h.send(sim.expire(expires + 60 * DAY_MS, 'BILLING_RETRY'));
    expect(await h.entitlement(accountId)).toMatchObject({ covered: false, state: 'expired' });
  });
});

describe('Apple lifecycle: refunds, revocation, resubscription', () => {
  it('a refund revokes; REFUND_REVERSED restores the same period', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0));
    await h.send(sim.refund(T0 + 3 * DAY_MS));
    let e = await h.entitlement(accountId);
    expect(e).toMatchObject({ covered: false, state: 'revoked', reason: 'revoked' });

    await h.send(sim.refundReversed(T0 + 6 * DAY_MS));
    e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      state: 'active',
      currentPeriodEnd: iso(sim.expiresDate),
    });
    expect(await h.history(accountId)).toEqual(expect.arrayContaining(['revoked', 'recovered']));
  });

  it('a family-shared purchase follows the same rules and REVOKE ends it', async () => {
    const { accountId, token } = await h.account();
    const sim = h.simulator({ appAccountToken: token, familyShared: true });
    await h.send(sim.subscribe(T0));
    expect(await h.entitlement(accountId)).toMatchObject({ covered: true, state: 'active' });
    await h.send(sim.revoke(T0 + 4 * DAY_MS));
    expect(await h.entitlement(accountId)).toMatchObject({ covered: false, state: 'revoked' });
  });

  it('resubscribing after expiry starts a new paid period (never a trial)', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0, { freeTrial: true }));
    await h.send(sim.setAutoRenew(T0 + DAY_MS, false));
    await h.send(sim.expire(T0 + TRIAL_MS, 'VOLUNTARY'));
    expect(await h.entitlement(accountId)).toMatchObject({ covered: false, state: 'expired' });

    const back = T0 + 20 * DAY_MS;
    await h.send(sim.resubscribe(back));
    const e = await h.entitlement(accountId);
    expect(e).toMatchObject({
      covered: true,
      state: 'active',
      currentPeriodEnd: iso(back + MONTH_MS),
    });
    expect(await h.history(accountId)).toContain('resubscribed');
  });
});

describe('Apple lifecycle: linking', () => {
  it('keeps a purchase with an unknown appAccountToken unlinked', async () => {
    const sim = h.simulator({ appAccountToken: '2f1d4c7e-8b9a-4f6e-9d3c-1a2b3c4d5e6f' });
    const n = sim.subscribe(T0);
    await h.send(n);
    const row = await h.inboxRow(n.payload.notificationUUID!);
    expect(row).toMatchObject({ status: 'processed' });
    expect(row?.outcome_note).toContain('unlinked (unknown appAccountToken)');
  });

  it('a purchase whose token moves to another account is transferred', async () => {
    const a = await h.account();
    const b = await h.account();
    const sim = h.simulator({ appAccountToken: a.token });
    await h.send(sim.subscribe(T0));
    expect((await h.entitlement(a.accountId)).covered).toBe(true);

    sim.setAppAccountToken(b.token);
    await h.send(sim.renew(sim.expiresDate));
    expect((await h.entitlement(b.accountId)).covered).toBe(true);
    expect(await h.entitlement(a.accountId)).toMatchObject({
      covered: false,
      state: 'no_subscription',
    });
    expect(await h.history(b.accountId)).toContain('transferred');
  });

  it('records TEST and unknown types as ignored without changing anything', async () => {
    const { accountId, sim } = await linkedSubscription();
    await h.send(sim.subscribe(T0));
    const readAt = T0 + 4 * DAY_MS;
    const before = await h.entitlementAt(accountId, readAt);
    const historyBefore = await h.history(accountId);
    const test = h.signer.notification({ notificationType: 'TEST', signedDate: T0 + DAY_MS });
    const unknown = sim.informational(T0 + 2 * DAY_MS, 'SOMETHING_NEW', 'NEW_SUBTYPE');
    const priceIncrease = sim.informational(T0 + 3 * DAY_MS, 'PRICE_INCREASE', 'PENDING');
    for (const n of [test, unknown, priceIncrease]) await h.send(n);
    for (const n of [test, unknown, priceIncrease]) {
      expect(await h.inboxRow(n.payload.notificationUUID!)).toMatchObject({ status: 'ignored' });
    }
    expect(await h.entitlementAt(accountId, readAt)).toEqual(before);
    expect(before).toMatchObject({ covered: true, state: 'active' });
    expect(await h.history(accountId)).toEqual(historyBefore);
  });
});

/** The fields of the answer that must not depend on delivery order. */
function answer(e: EntitlementBody) {
  return {
    covered: e.covered,
    reason: e.reason,
    state: e.state,
    plan: e.plan,
    interval: e.interval,
    trialEndsAt: e.trialEndsAt,
    currentPeriodEnd: e.currentPeriodEnd,
    paidThrough: e.paidThrough,
    cancelAtPeriodEnd: e.cancelAtPeriodEnd,
    pendingChange: e.pendingChange,
    limits: e.limits,
  };
}

/** A small deterministic PRNG (mulberry32), so a failing order can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffledWithDuplicates<T>(items: T[], seed: number): T[] {
  const rnd = random(seed);
  const out = [...items, ...items.filter(() => rnd() < 0.5)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

type Final = { state: string; covered: boolean; plan: string };
const ACTIVE = (plan = 'unlimited'): Final => ({ state: 'active', covered: true, plan });

const LIFECYCLES: Array<[string, string, Lifecycle, Final]> = [
  [
    'trial then renewal',
    'unlimited.monthly',
    (s, t) => [s.subscribe(t, { freeTrial: true }), s.renew(t + TRIAL_MS)],
    ACTIVE(),
  ],
  [
    'cancel then expire',
    'unlimited.monthly',
    (s, t) => [
      s.subscribe(t),
      s.setAutoRenew(t + DAY_MS, false),
      s.expire(s.expiresDate + 60_000, 'VOLUNTARY'),
    ],
    { state: 'expired', covered: false, plan: 'unlimited' },
  ],
  [
    'cancel then re-enable',
    'unlimited.monthly',
    (s, t) => [
      s.subscribe(t),
      s.setAutoRenew(t + DAY_MS, false),
      s.setAutoRenew(t + 2 * DAY_MS, true),
    ],
    ACTIVE(),
  ],
  [
    'upgrade',
    'unlimited.monthly',
    (s, t) => [s.subscribe(t), s.upgrade(t + 5 * DAY_MS, 'unlimited_pro.monthly')],
    ACTIVE('unlimited_pro'),
  ],
  [
    'downgrade applied',
    'unlimited_pro.monthly',
    (s, t) => [
      s.subscribe(t),
      s.downgrade(t + 5 * DAY_MS, 'unlimited.monthly'),
      s.renew(s.expiresDate),
    ],
    ACTIVE('unlimited'),
  ],
  [
    'downgrade reverted',
    'unlimited_pro.monthly',
    (s, t) => [
      s.subscribe(t),
      s.downgrade(t + 5 * DAY_MS, 'unlimited.monthly'),
      s.revertRenewalPref(t + 6 * DAY_MS),
    ],
    ACTIVE('unlimited_pro'),
  ],
  [
    'grace, retry, recovery',
    'unlimited.monthly',
    (s, t) => {
      const first = s.subscribe(t);
      const end = s.expiresDate;
      return [
        first,
        s.failToRenew(end, 16 * DAY_MS),
        s.gracePeriodExpired(end + 16 * DAY_MS),
        s.renew(end + 18 * DAY_MS),
      ];
    },
    ACTIVE(),
  ],
  [
    'refund',
    'unlimited.monthly',
    (s, t) => [s.subscribe(t), s.refund(t + 2 * DAY_MS)],
    { state: 'revoked', covered: false, plan: 'unlimited' },
  ],
  [
    'refund reversed',
    'unlimited.monthly',
    (s, t) => [s.subscribe(t), s.refund(t + 2 * DAY_MS), s.refundReversed(t + 3 * DAY_MS)],
    ACTIVE(),
  ],
  [
    'resubscribe',
    'unlimited.monthly',
    (s, t) => {
      const first = s.subscribe(t);
      const end = s.expiresDate;
      return [
        first,
        s.setAutoRenew(t + DAY_MS, false),
        s.expire(end + 60_000, 'VOLUNTARY'),
        s.resubscribe(end + 10 * DAY_MS),
      ];
    },
    ACTIVE(),
  ],
];

describe('Apple lifecycle: any delivery order, any duplication, same answer', () => {
  it.each(LIFECYCLES)('%s', async (_name, productId, lifecycle, final) => {
    // In time order, one account; then shuffled with duplicates (two seeds), one account each.
    const runs: Array<{ accountId: string; notifications: SignedNotification[] }> = [];
    for (let i = 0; i < 3; i++) {
      const { accountId, sim } = await linkedSubscription(productId);
      runs.push({ accountId, notifications: lifecycle(sim, T0) });
    }
    const end = Math.max(...runs[0].notifications.map((n) => n.payload.signedDate ?? 0));
    h.clock.set(new Date(Math.max(end, h.clock.now().getTime())));

    for (const n of runs[0].notifications) {
      await h.deliver([n]);
      await h.settle();
    }
    for (const [i, seed] of [
      [1, 7],
      [2, 1234],
    ] as const) {
      await h.deliver(shuffledWithDuplicates(runs[i].notifications, seed));
      await h.settle();
    }

    const inOrder = answer(await h.entitlement(runs[0].accountId));
    expect(inOrder).toMatchObject(final);
    expect(answer(await h.entitlement(runs[1].accountId))).toEqual(inOrder);
    expect(answer(await h.entitlement(runs[2].accountId))).toEqual(inOrder);
  });
});
