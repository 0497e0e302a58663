import type { EntitlementPolicy, PlanLimitsTable } from '../entitlement-policy';
import type { SubscriptionSnapshot } from '../subscription-snapshot';
import { foldSnapshots, type SubscriptionState } from '../subscription-state';

/** Typed fixtures for specs of the entitlement domain and of its users. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A fixed origin for fixtures: 2026-01-01T00:00:00Z. */
export const T0 = new Date('2026-01-01T00:00:00.000Z');

/** `T0` plus a number of days (fractions allowed). */
export function day(days: number): Date {
  return new Date(T0.getTime() + days * DAY);
}

/** A date shifted by milliseconds. */
export function shift(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}

/** The plan table of SPEC §2. */
export const SPEC_PLAN_LIMITS: PlanLimitsTable = {
  unlimited: { image: 4, video: 1 },
  unlimited_pro: { image: 16, video: 4 },
};

/** Policy for specs: one hour of leeway, no sandbox, past due not covered. */
export function aPolicy(overrides: Partial<EntitlementPolicy> = {}): EntitlementPolicy {
  return { acceptSandbox: false, expiryLeewaySeconds: 3600, pastDueCovered: false, ...overrides };
}

/**
 * An active Unlimited monthly Stripe subscription (fresh `Date`s on every call) of `acc_1`, observed at `T0`, period
 * `T0`..`T0 + 30 days`. Override what the case is about.
 */
export function aSnapshot(overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot {
  return {
    store: 'stripe',
    storeSubscriptionId: 'sub_1',
    accountId: 'acc_1',
    observedAt: day(0),
    status: 'active',
    plan: 'unlimited',
    interval: 'month',
    productId: 'unlimited_monthly',
    currentPeriodStart: day(0),
    currentPeriodEnd: day(30),
    trialEnd: null,
    cancelAtPeriodEnd: false,
    pendingChange: null,
    gracePeriodEnd: null,
    sandbox: false,
    revokedThrough: null,
    supersedes: null,
    sourceEvent: 'customer.subscription.updated',
    ...overrides,
  };
}

/** A 3-day trial starting at `T0`. */
export function aTrialSnapshot(
  overrides: Partial<SubscriptionSnapshot> = {},
): SubscriptionSnapshot {
  return aSnapshot({
    status: 'trial',
    currentPeriodStart: day(0),
    currentPeriodEnd: day(3),
    trialEnd: day(3),
    sourceEvent: 'customer.subscription.created',
    ...overrides,
  });
}

/** The state made of these snapshots (in this order; the order does not matter). */
export function stateOf(...snapshots: SubscriptionSnapshot[]): SubscriptionState {
  const state = foldSnapshots(snapshots);
  if (state === null) throw new Error('stateOf needs at least one snapshot');
  return state;
}
