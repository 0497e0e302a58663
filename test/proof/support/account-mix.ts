/**
 * A realistic population of accounts for load and proof suites: each account index maps to a
 * fixed situation (plan, state, store, flags), built as the full `SubscriptionSnapshot`s a store
 * adapter would produce, at a given instant. Applied through `EntitlementService.apply`, the
 * service's own write path.
 */
import type {
  PlanId,
  Store,
  SubscriptionSnapshot,
} from '../../../src/entitlements/domain/subscription-snapshot';

const DAY = 86_400_000;

export type Situation =
  | 'active_unlimited'
  | 'active_pro'
  | 'trial'
  | 'past_due'
  | 'cancel_scheduled'
  | 'downgrade_scheduled'
  | 'expired'
  | 'revoked'
  | 'paused'
  | 'duplicate_billing'
  | 'no_subscription';

/** Out of 100 accounts. */
const MIX: [Situation, number][] = [
  ['active_unlimited', 38],
  ['active_pro', 15],
  ['trial', 10],
  ['past_due', 7],
  ['cancel_scheduled', 5],
  ['downgrade_scheduled', 5],
  ['expired', 7],
  ['revoked', 3],
  ['paused', 2],
  ['duplicate_billing', 3],
  ['no_subscription', 5],
];
const TABLE: Situation[] = MIX.flatMap(([s, n]) => Array<Situation>(n).fill(s));

export function situationOf(index: number): Situation {
  return TABLE[index % TABLE.length];
}

export function accountIdOf(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(5, '0')}`;
}

const STORES: Store[] = ['stripe', 'apple', 'google'];
const PRODUCT: Record<Store, Record<PlanId, Record<'month' | 'year', string>>> = {
  stripe: {
    unlimited: { month: 'unlimited_monthly', year: 'unlimited_annual' },
    unlimited_pro: { month: 'unlimited_pro_monthly', year: 'unlimited_pro_annual' },
  },
  apple: {
    unlimited: { month: 'unlimited.monthly', year: 'unlimited.annual' },
    unlimited_pro: { month: 'unlimited_pro.monthly', year: 'unlimited_pro.annual' },
  },
  google: {
    unlimited: { month: 'unlimited/monthly', year: 'unlimited/annual' },
    unlimited_pro: { month: 'unlimited_pro/monthly', year: 'unlimited_pro/annual' },
  },
};

function subscriptionId(store: Store, accountId: string, n = 0): string {
  switch (store) {
    case 'stripe':
      return `sub_${accountId}_${n}`;
    case 'apple':
      return `2000${String(Math.abs(hash(`${accountId}:${n}`))).padStart(11, '0')}`;
    case 'google':
      return `gp.${accountId}.${n}.token`;
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The snapshots that put account `index` in its situation, observed shortly before `now`. */
export function snapshotsFor(accountId: string, index: number, now: Date): SubscriptionSnapshot[] {
  const situation = situationOf(index);
  if (situation === 'no_subscription') return [];
  const store = STORES[index % STORES.length];
  const interval = index % 5 === 0 ? 'year' : 'month';
  const t = now.getTime();
  const base = (
    plan: PlanId,
    overrides: Partial<SubscriptionSnapshot> = {},
    s: Store = store,
    n = 0,
  ): SubscriptionSnapshot => ({
    store: s,
    storeSubscriptionId: subscriptionId(s, accountId, n),
    accountId,
    observedAt: new Date(t - 60_000),
    status: 'active',
    plan,
    interval,
    productId: PRODUCT[s][plan][interval],
    currentPeriodStart: new Date(t - 10 * DAY),
    currentPeriodEnd: new Date(t + (interval === 'year' ? 355 : 20) * DAY),
    trialEnd: null,
    cancelAtPeriodEnd: false,
    pendingChange: null,
    gracePeriodEnd: null,
    sandbox: false,
    revokedThrough: null,
    supersedes: null,
    sourceEvent: 'seed',
    ...overrides,
  });
  switch (situation) {
    case 'active_unlimited':
      return [base('unlimited')];
    case 'active_pro':
      return [base('unlimited_pro')];
    case 'trial':
      return [
        base(index % 2 ? 'unlimited' : 'unlimited_pro', {
          status: 'trial',
          interval: 'month',
          productId: PRODUCT[store][index % 2 ? 'unlimited' : 'unlimited_pro'].month,
          currentPeriodStart: new Date(t - DAY),
          currentPeriodEnd: new Date(t + 2 * DAY),
          trialEnd: new Date(t + 2 * DAY),
        }),
      ];
    case 'past_due':
      return [
        base('unlimited', {
          status: 'past_due',
          currentPeriodStart: new Date(t - 31 * DAY),
          currentPeriodEnd: new Date(t - DAY),
          gracePeriodEnd: new Date(t + 6 * DAY),
        }),
      ];
    case 'cancel_scheduled':
      return [base('unlimited_pro', { cancelAtPeriodEnd: true })];
    case 'downgrade_scheduled':
      return [
        base('unlimited_pro', {
          pendingChange: { plan: 'unlimited', interval, effectiveAt: new Date(t + 20 * DAY) },
        }),
      ];
    case 'expired':
      return [
        base('unlimited', {
          status: 'expired',
          currentPeriodStart: new Date(t - 70 * DAY),
          currentPeriodEnd: new Date(t - 40 * DAY),
          cancelAtPeriodEnd: true,
        }),
      ];
    case 'revoked':
      return [base('unlimited', { status: 'revoked', revokedThrough: new Date(t + 20 * DAY) })];
    case 'paused':
      return [base('unlimited', { status: 'paused' }, store === 'apple' ? 'google' : store)];
    case 'duplicate_billing':
      return [base('unlimited', {}, 'stripe', 0), base('unlimited_pro', {}, 'apple', 1)];
  }
}
