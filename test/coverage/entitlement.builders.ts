/**
 * Typed builders of account entitlements for coverage specs: real snapshots folded and derived by
 * the entitlements domain, so a fixture is always a state the service can really be in.
 */
import { loadCatalog } from '../../src/catalog/catalog.loader';
import type { Catalog } from '../../src/catalog/catalog';
import {
  DEFAULT_ENTITLEMENT_POLICY,
  deriveEntitlement,
  stateFromSnapshot,
  type AccountEntitlement,
  type PendingChange,
  type PlanId,
  type PlanLimitsTable,
  type PrimaryState,
  type SubscriptionSnapshot,
} from '../../src/entitlements/domain';

export const catalog: Catalog = loadCatalog();

export const PLAN_LIMITS: PlanLimitsTable = {
  unlimited: {
    image: catalog.concurrencyLimit('unlimited', 'image') ?? 0,
    video: catalog.concurrencyLimit('unlimited', 'video') ?? 0,
  },
  unlimited_pro: {
    image: catalog.concurrencyLimit('unlimited_pro', 'image') ?? 0,
    video: catalog.concurrencyLimit('unlimited_pro', 'video') ?? 0,
  },
};

const DAY = 86_400_000;

/** An account's standing: a store state, no subscription at all, or suspended (on an active plan). */
export type AccountKind = PrimaryState | 'no_subscription' | 'suspended';
export const ACCOUNT_KINDS: readonly AccountKind[] = [
  'trial',
  'active',
  'past_due',
  'paused',
  'expired',
  'revoked',
  'incomplete',
  'no_subscription',
  'suspended',
];

export interface SnapshotOptions {
  accountId?: string;
  status?: PrimaryState;
  plan?: PlanId;
  /** When the store saw it; defaults to a day before `now`. */
  observedAt?: Date;
  periodEnd?: Date;
  pendingChange?: PendingChange | null;
}

export function snapshot(now: Date, options: SnapshotOptions = {}): SubscriptionSnapshot {
  const status = options.status ?? 'active';
  const plan = options.plan ?? 'unlimited';
  const periodEnd =
    options.periodEnd ?? new Date(now.getTime() + (status === 'trial' ? 2 : 20) * DAY);
  return {
    store: 'stripe',
    storeSubscriptionId: `sub_${options.accountId ?? 'acct_1'}`,
    accountId: options.accountId ?? 'acct_1',
    observedAt: options.observedAt ?? new Date(now.getTime() - DAY),
    status,
    plan,
    interval: 'month',
    productId: plan === 'unlimited' ? 'unlimited_monthly' : 'unlimited_pro_monthly',
    currentPeriodStart: new Date(periodEnd.getTime() - 30 * DAY),
    currentPeriodEnd: periodEnd,
    trialEnd: status === 'trial' ? periodEnd : null,
    cancelAtPeriodEnd: false,
    pendingChange: options.pendingChange ?? null,
    gracePeriodEnd: null,
    sandbox: false,
    revokedThrough: null,
    supersedes: null,
    sourceEvent: 'test',
  };
}

/** The entitlement of an account of `kind` on `plan`, derived at `now`. */
export function entitlementAt(
  kind: AccountKind,
  plan: PlanId,
  now: Date,
  options: Omit<SnapshotOptions, 'status' | 'plan'> = {},
): AccountEntitlement {
  const accountId = options.accountId ?? 'acct_1';
  const states =
    kind === 'no_subscription'
      ? []
      : [
          stateFromSnapshot(
            snapshot(now, {
              ...options,
              accountId,
              plan,
              status: kind === 'suspended' ? 'active' : kind,
            }),
          ),
        ];
  return deriveEntitlement(
    states,
    { id: accountId, suspended: kind === 'suspended' },
    now,
    DEFAULT_ENTITLEMENT_POLICY,
    PLAN_LIMITS,
  );
}
