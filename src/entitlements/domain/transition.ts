import {
  DEFAULT_ENTITLEMENT_POLICY,
  leewayMs,
  planRank,
  type EntitlementPolicy,
} from './entitlement-policy';
import { effectiveSubscription, type EffectiveSubscription } from './effective-state';
import type { PendingChange, SubscriptionSnapshot, TransitionName } from './subscription-snapshot';
import { mergeSnapshot, type MergeOutcome, type SubscriptionState } from './subscription-state';

/** Every named transition, in the order they are listed when several happen at once. */
export const TRANSITION_NAMES = [
  'transferred',
  'trial_started',
  'converted',
  'renewed',
  'resubscribed',
  'payment_failed',
  'recovered',
  'paused',
  'resumed',
  'upgraded',
  'downgrade_scheduled',
  'downgrade_withdrawn',
  'downgrade_applied',
  'cancel_scheduled',
  'reactivated',
  'expired',
  'revoked',
] as const satisfies readonly TransitionName[];

// Compile-time check that the list above names every TransitionName.
type MissingTransitionName = Exclude<TransitionName, (typeof TRANSITION_NAMES)[number]>;
const everyTransitionNamed: MissingTransitionName extends never ? true : never = true;
void everyTransitionNamed;

/** What applying one snapshot did. */
export interface TransitionResult {
  /** The state to store. For a stale or duplicate snapshot `latest` is unchanged. */
  next: SubscriptionState;
  /** Named transitions for the history, in {@link TRANSITION_NAMES} order (often empty). */
  transitions: TransitionName[];
  /**
   * The snapshot was not newer than the stored one (older, or the same again): it did not
   * overwrite anything. Only a sticky aggregate it carried (a revocation, an account link, a trial
   * or sandbox mark) can have been added, which keeps the result independent of delivery order.
   */
  stale: boolean;
  outcome: MergeOutcome;
  /** First snapshot ever seen for this store subscription. */
  created: boolean;
  /** The instant both views were compared at (see {@link transition}). */
  at: Date;
  /** The previous state as last seen (null when created). */
  before: EffectiveSubscription | null;
  /** The next state at `at`. */
  after: EffectiveSubscription;
}

function minTime(a: Date, b: Date): Date {
  return new Date(Math.min(a.getTime(), b.getTime()));
}

/**
 * The state machine step: `(previous state, normalized store snapshot, now) → (next state, named
 * transitions)`. Pure: the clock is `now`.
 *
 * The stored state is the order-independent join of every snapshot (see `SubscriptionState`): a
 * snapshot older than the stored one never overwrites it. Transitions are named by comparing two
 * derived views:
 * - before: the previous state as it stood when its newest snapshot was observed (capped at
 *   `now`), i.e. as last seen;
 * - after: the next state at the instant its newest snapshot was observed (capped at `now`).
 * Taking the store's instant rather than `now` names a late-delivered renewal `renewed` (not
 * `resubscribed`) and lets a replay of stored events rebuild the same history; time-based changes
 * nobody announced (a period or a trial that ran out) are named with the next snapshot that shows
 * them.
 *
 * @param previous the stored state of this store subscription, or null for a first snapshot.
 * @throws SubscriptionStateError when the snapshot is malformed or of another subscription.
 */
export function transition(
  previous: SubscriptionState | null,
  snapshot: SubscriptionSnapshot,
  now: Date,
  policy: EntitlementPolicy = DEFAULT_ENTITLEMENT_POLICY,
): TransitionResult {
  const { state: next, outcome } = mergeSnapshot(previous, snapshot);
  const at = minTime(next.latest.observedAt, now);
  const before =
    previous === null
      ? null
      : effectiveSubscription(previous, minTime(previous.latest.observedAt, now), policy);
  const after = effectiveSubscription(next, at, policy);
  const transitions = nameTransitions(previous, next, before, after, policy);
  return {
    next,
    transitions,
    stale: outcome !== 'applied',
    outcome,
    created: previous === null,
    at,
    before,
    after,
  };
}

const ORDER: ReadonlyMap<TransitionName, number> = new Map(
  TRANSITION_NAMES.map((name, index) => [name, index]),
);

function sortNames(names: Set<TransitionName>): TransitionName[] {
  return [...names].sort((a, b) => (ORDER.get(a) ?? 0) - (ORDER.get(b) ?? 0));
}

function sameTarget(a: PendingChange | null, b: PendingChange | null): boolean {
  if (a === null || b === null) return a === b;
  return a.plan === b.plan && a.interval === b.interval;
}

/**
 * A new period that starts after the previous one ended (beyond the leeway): access lapsed in
 * between, so coming back is a resubscription, not a renewal. Unknown start: no lapse is assumed.
 */
function startsAfterLapse(
  previousEnd: Date | null,
  after: EffectiveSubscription,
  policy: EntitlementPolicy,
): boolean {
  if (previousEnd === null || after.currentPeriodStart === null) return false;
  return after.currentPeriodStart.getTime() > previousEnd.getTime() + leewayMs(policy);
}

function isLater(a: Date | null, b: Date | null): boolean {
  return a !== null && b !== null && a.getTime() > b.getTime();
}

/** Names for an effective-state change from `before.state` to `after.state`. */
function nameStateChange(
  previous: SubscriptionState,
  before: EffectiveSubscription,
  after: EffectiveSubscription,
  policy: EntitlementPolicy,
  names: Set<TransitionName>,
): void {
  switch (after.state) {
    case 'trial':
      if (before.cause === 'trial_canceled') names.add('reactivated');
      else if (!before.live) names.add('resubscribed');
      else if (before.state === 'incomplete') names.add('trial_started');
      else if (before.state === 'paused') names.add('resumed');
      break;
    case 'active':
      if (before.state === 'trial' || before.cause === 'trial_canceled') {
        names.add('converted');
      } else if (before.cause === 'trial_ended') {
        // A conversion heard of late, unless the trial lapsed before the paid period began.
        const trialEnd = previous.latest.trialEnd ?? before.currentPeriodEnd;
        names.add(startsAfterLapse(trialEnd, after, policy) ? 'resubscribed' : 'converted');
      } else if (before.state === 'past_due') {
        names.add('recovered');
      } else if (before.state === 'paused') {
        names.add('resumed');
      } else if (before.state === 'revoked') {
        // Refund reversed: the same period is paid again. A new period is a new purchase.
        const samePeriod =
          before.currentPeriodEnd !== null &&
          after.currentPeriodEnd !== null &&
          after.currentPeriodEnd.getTime() === before.currentPeriodEnd.getTime();
        names.add(samePeriod ? 'recovered' : 'resubscribed');
      } else if (before.state === 'expired') {
        // The store never said it ended (time did): a contiguous new period is a late renewal.
        const lateRenewal =
          before.cause === 'period_ended' &&
          isLater(after.currentPeriodEnd, before.currentPeriodEnd) &&
          !startsAfterLapse(before.currentPeriodEnd, after, policy);
        names.add(lateRenewal ? 'renewed' : 'resubscribed');
      }
      break;
    case 'past_due':
      names.add('payment_failed');
      break;
    case 'paused':
      names.add('paused');
      break;
    case 'expired':
      names.add('expired');
      break;
    case 'revoked':
      names.add('revoked');
      break;
    case 'incomplete':
      break;
    default: {
      const unknown: never = after.state;
      throw new Error(`unmapped state ${String(unknown)}`);
    }
  }
}

/** Names for a first snapshot: compared with "nothing" (no flag, no pending change). */
function nameFirstSight(after: EffectiveSubscription, names: Set<TransitionName>): void {
  switch (after.state) {
    case 'trial':
      names.add('trial_started');
      break;
    case 'past_due':
      names.add('payment_failed');
      break;
    case 'paused':
      names.add('paused');
      break;
    case 'expired':
      names.add('expired');
      break;
    case 'revoked':
      names.add('revoked');
      break;
    case 'active':
    case 'incomplete':
      // A first purchase (or its pending first payment) has no transition name; the history
      // records the new subscription itself (`created`).
      break;
    default: {
      const unknown: never = after.state;
      throw new Error(`unmapped state ${String(unknown)}`);
    }
  }
  if (after.live && after.cancelAtPeriodEnd && after.state !== 'trial') {
    names.add('cancel_scheduled');
  }
  if (after.live && after.pendingChange !== null) names.add('downgrade_scheduled');
}

function nameTransitions(
  previous: SubscriptionState | null,
  next: SubscriptionState,
  before: EffectiveSubscription | null,
  after: EffectiveSubscription,
  policy: EntitlementPolicy,
): TransitionName[] {
  const names = new Set<TransitionName>();
  if (previous === null || before === null) {
    nameFirstSight(after, names);
    return sortNames(names);
  }

  if (
    previous.accountId !== null &&
    next.accountId !== null &&
    previous.accountId !== next.accountId
  ) {
    names.add('transferred');
  }

  if (before.state !== after.state) {
    nameStateChange(previous, before, after, policy, names);
  } else if (
    after.state === 'active' &&
    isLater(after.currentPeriodEnd, before.currentPeriodEnd) &&
    planRank(after.plan) <= planRank(before.plan)
  ) {
    // A later period end on a running subscription; a lapse between the two periods means the
    // old one ran out unseen and this is a new purchase. (An upgrade's new period is named
    // `upgraded` below.)
    names.add(
      startsAfterLapse(before.currentPeriodEnd, after, policy) ? 'resubscribed' : 'renewed',
    );
  }

  if (after.live && after.state !== 'trial' && after.state !== 'incomplete') {
    if (!before.cancelAtPeriodEnd && after.cancelAtPeriodEnd) names.add('cancel_scheduled');
  }
  if (
    after.live &&
    before.cancelAtPeriodEnd &&
    !after.cancelAtPeriodEnd &&
    (before.live || before.cause === 'trial_canceled') &&
    !names.has('resubscribed')
  ) {
    names.add('reactivated');
  }

  if (after.live) {
    const pendingBefore = before.pendingChange;
    const applied =
      pendingBefore !== null &&
      after.plan === pendingBefore.plan &&
      after.interval === pendingBefore.interval &&
      (after.plan !== before.plan || after.interval !== before.interval);
    if (before.live && after.plan !== null && before.plan !== null) {
      if (planRank(after.plan) > planRank(before.plan)) names.add('upgraded');
      else if (applied || planRank(after.plan) < planRank(before.plan)) {
        names.add('downgrade_applied');
      }
    }
    if (after.pendingChange !== null && !sameTarget(pendingBefore, after.pendingChange)) {
      names.add('downgrade_scheduled');
    }
    if (pendingBefore !== null && after.pendingChange === null && !applied) {
      names.add('downgrade_withdrawn');
    }
  }

  return sortNames(names);
}

/**
 * Names what a replacement purchase did to the purchase it replaces (Google: a new purchase
 * token whose `linkedPurchaseToken` names the old one). The replaced subscription is superseded
 * and never counted again; the replacement is a new store subscription, so `transition` alone
 * cannot see the plan change.
 *
 * Compares the replaced subscription as last seen with the replacement at its newest snapshot.
 */
export function replacementTransitions(
  replaced: SubscriptionState,
  replacement: SubscriptionState,
  now: Date,
  policy: EntitlementPolicy = DEFAULT_ENTITLEMENT_POLICY,
): TransitionName[] {
  const before = effectiveSubscription(replaced, minTime(replaced.latest.observedAt, now), policy);
  const after = effectiveSubscription(
    replacement,
    minTime(replacement.latest.observedAt, now),
    policy,
  );
  const names = new Set<TransitionName>();
  if (
    replaced.accountId !== null &&
    replacement.accountId !== null &&
    replaced.accountId !== replacement.accountId
  ) {
    names.add('transferred');
  }
  if (after.live && after.plan !== null && before.plan !== null) {
    const pending = before.pendingChange;
    const applied =
      pending !== null && after.plan === pending.plan && after.interval === pending.interval;
    if (planRank(after.plan) > planRank(before.plan)) names.add('upgraded');
    else if (
      applied ||
      planRank(after.plan) < planRank(before.plan) ||
      after.interval !== before.interval
    ) {
      names.add('downgrade_applied');
    }
  }
  return sortNames(names);
}
