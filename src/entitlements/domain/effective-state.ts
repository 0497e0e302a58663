import { leewayMs, type EntitlementPolicy } from './entitlement-policy';
import type {
  BillingInterval,
  PendingChange,
  PlanId,
  PrimaryState,
  Store,
} from './subscription-snapshot';
import type { SubscriptionState } from './subscription-state';

/** Why a subscription is in its effective state. */
export type EffectiveStateCause =
  /** The store's own status, unchanged by time. */
  | 'store'
  /** Paid period over (`currentPeriodEnd` + leeway passed) and no renewal heard of. */
  | 'period_ended'
  /** Trial over (`trialEnd` + leeway passed) and no conversion heard of. */
  | 'trial_ended'
  /** Canceled during the trial: access ends at once, there is no paid period to run out. */
  | 'trial_canceled'
  /** The current period is covered by a sticky revocation (`revokedThrough`). */
  | 'refunded';

/** Why a subscription can never grant entitlement, whatever its state. */
export type ExclusionReason =
  /** Sandbox / test purchase while the policy does not accept them. */
  | 'sandbox'
  /** The product maps to no plan. */
  | 'unknown_product';

/**
 * One subscription as it stands at an instant: stored timestamps decide, not a cron.
 * Derived by {@link effectiveSubscription}; never stored.
 */
export interface EffectiveSubscription {
  store: Store;
  storeSubscriptionId: string;
  accountId: string | null;
  /** The instant this view is for. */
  at: Date;
  /** The state at `at`. */
  state: PrimaryState;
  /** What the newest snapshot said. */
  storeStatus: PrimaryState;
  cause: EffectiveStateCause;
  /** Not ended (`expired` / `revoked`). */
  live: boolean;
  /** Grants covered-model access at `at` (account suspension is decided per account). */
  covered: boolean;
  excluded: ExclusionReason | null;
  /** The plan in force at `at`: a pending change whose `effectiveAt` has passed has applied. */
  plan: PlanId | null;
  interval: BillingInterval | null;
  productId: string;
  /** Still-pending change (null once applied or when there is none). */
  pendingChange: PendingChange | null;
  /** A pending change reached its `effectiveAt` before the store confirmed it. */
  pendingChangeApplied: boolean;
  /** As the store reported it (meaningful while `live`). */
  cancelAtPeriodEnd: boolean;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  /** When the running trial ends; null unless `state` is `trial`. */
  trialEndsAt: Date | null;
  /** End of the paid access running now; null unless `state` is `active`. */
  paidThrough: Date | null;
  gracePeriodEnd: Date | null;
  sandbox: boolean;
  /**
   * The earliest instant after `at` at which this view changes by time alone (a period or trial
   * running out, a pending change applying), or null when only a new snapshot can change it.
   * Callers may cache a decision until then.
   */
  nextChangeAt: Date | null;
}

function plusLeeway(date: Date, policy: EntitlementPolicy): number {
  return date.getTime() + leewayMs(policy);
}

/**
 * The state of a stored subscription at `now`.
 *
 * Rules (SPEC §4), in order:
 * 1. `revokedThrough` at or after the current period end (or no known period end) → `revoked`;
 *    a store status `revoked` → `revoked`; a store status `expired` → `expired`;
 * 2. a trial canceled during the trial → `expired` at once (`trial_canceled`);
 * 3. a trial whose end (`trialEnd`, else `currentPeriodEnd`) + leeway has passed → `expired`
 *    (`trial_ended`): no conversion was heard of;
 * 4. an active subscription whose `currentPeriodEnd` + leeway has passed → `expired`
 *    (`period_ended`): no renewal was heard of;
 * 5. otherwise the store's status;
 * then a pending change whose `effectiveAt` has passed applies (the plan becomes the pending
 * plan), sandbox purchases are excluded unless the policy accepts them, and an unknown product
 * (the newest snapshot's plan is null) is excluded. Covered = not excluded and `trial` or `active` (or `past_due` within its grace
 * window + leeway when `policy.pastDueCovered`).
 */
export function effectiveSubscription(
  state: SubscriptionState,
  now: Date,
  policy: EntitlementPolicy,
): EffectiveSubscription {
  const latest = state.latest;
  const at = now.getTime();
  const upcoming: number[] = [];
  const periodEnd = latest.currentPeriodEnd;

  let effective: PrimaryState = latest.status;
  let cause: EffectiveStateCause = 'store';

  const revokedCoversPeriod =
    state.revokedThrough !== null &&
    (periodEnd === null || periodEnd.getTime() <= state.revokedThrough.getTime());

  if (revokedCoversPeriod) {
    effective = 'revoked';
    cause = 'refunded';
  } else {
    switch (latest.status) {
      case 'trial': {
        const trialEnd = latest.trialEnd ?? periodEnd;
        if (latest.cancelAtPeriodEnd) {
          effective = 'expired';
          cause = 'trial_canceled';
        } else if (trialEnd !== null && at >= plusLeeway(trialEnd, policy)) {
          effective = 'expired';
          cause = 'trial_ended';
        } else if (trialEnd !== null) {
          upcoming.push(plusLeeway(trialEnd, policy));
        }
        break;
      }
      case 'active':
        if (periodEnd !== null && at >= plusLeeway(periodEnd, policy)) {
          effective = 'expired';
          cause = 'period_ended';
        } else if (periodEnd !== null) {
          upcoming.push(plusLeeway(periodEnd, policy));
        }
        break;
      case 'past_due':
      case 'paused':
      case 'expired':
      case 'revoked':
      case 'incomplete':
        break;
      default: {
        const unknown: never = latest.status;
        throw new Error(`unmapped status ${String(unknown)}`);
      }
    }
  }

  let plan = latest.plan;
  let interval = latest.interval;
  let pendingChange: PendingChange | null = latest.pendingChange;
  let pendingChangeApplied = false;
  if (pendingChange !== null) {
    if (at >= pendingChange.effectiveAt.getTime()) {
      plan = pendingChange.plan;
      interval = pendingChange.interval;
      pendingChangeApplied = true;
      pendingChange = null;
    } else {
      upcoming.push(pendingChange.effectiveAt.getTime());
    }
  }

  // The product of the newest snapshot decides: an unknown product grants nothing, even when a
  // change to a known plan is scheduled.
  const excluded: ExclusionReason | null =
    state.sandbox && !policy.acceptSandbox
      ? 'sandbox'
      : latest.plan === null
        ? 'unknown_product'
        : null;

  let grantsByState: boolean;
  switch (effective) {
    case 'trial':
    case 'active':
      grantsByState = true;
      break;
    case 'past_due': {
      const graceEnd = latest.gracePeriodEnd ?? periodEnd;
      grantsByState =
        policy.pastDueCovered && graceEnd !== null && at < plusLeeway(graceEnd, policy);
      if (grantsByState && graceEnd !== null) upcoming.push(plusLeeway(graceEnd, policy));
      break;
    }
    case 'paused':
    case 'expired':
    case 'revoked':
    case 'incomplete':
      grantsByState = false;
      break;
    default: {
      const unknown: never = effective;
      throw new Error(`unmapped state ${String(unknown)}`);
    }
  }

  const live = effective !== 'expired' && effective !== 'revoked';
  const future = upcoming.filter((instant) => instant > at);
  return {
    store: state.store,
    storeSubscriptionId: state.storeSubscriptionId,
    accountId: state.accountId,
    at: new Date(at),
    state: effective,
    storeStatus: latest.status,
    cause,
    live,
    covered: excluded === null && grantsByState,
    excluded,
    plan,
    interval,
    productId: latest.productId,
    pendingChange:
      pendingChange === null
        ? null
        : {
            plan: pendingChange.plan,
            interval: pendingChange.interval,
            effectiveAt: new Date(pendingChange.effectiveAt.getTime()),
          },
    pendingChangeApplied,
    cancelAtPeriodEnd: latest.cancelAtPeriodEnd,
    currentPeriodStart: copy(latest.currentPeriodStart),
    currentPeriodEnd: copy(periodEnd),
    trialEndsAt: effective === 'trial' ? copy(latest.trialEnd ?? periodEnd) : null,
    paidThrough: effective === 'active' ? copy(periodEnd) : null,
    gracePeriodEnd: copy(latest.gracePeriodEnd),
    sandbox: state.sandbox,
    nextChangeAt: future.length === 0 ? null : new Date(Math.min(...future)),
  };
}

function copy(date: Date | null): Date | null {
  return date === null ? null : new Date(date.getTime());
}
