import {
  NO_LIMITS,
  planRank,
  type EntitlementPolicy,
  type PlanConcurrencyLimits,
  type PlanLimitsTable,
} from './entitlement-policy';
import {
  effectiveSubscription,
  type EffectiveSubscription,
  type ExclusionReason,
} from './effective-state';
import {
  STORES,
  type BillingInterval,
  type PendingChange,
  type PlanId,
  type PrimaryState,
  type Store,
} from './subscription-snapshot';
import type { SubscriptionState } from './subscription-state';

/**
 * Why an account has no covered-model access (the subscription reasons of SPEC §6, in the same
 * words).
 */
export type NotCoveredReason =
  'no_subscription' | 'expired' | 'revoked' | 'past_due' | 'paused' | 'incomplete' | 'suspended';

export const NOT_COVERED_REASONS: readonly NotCoveredReason[] = [
  'no_subscription',
  'expired',
  'revoked',
  'past_due',
  'paused',
  'incomplete',
  'suspended',
];

/** The account's headline state: one subscription's state, or no subscription, or suspended. */
export type AccountEntitlementState = PrimaryState | 'no_subscription' | 'suspended';

/** Why a subscription does not count for its account. */
export type SubscriptionExclusion = ExclusionReason | 'superseded';

/** One store subscription of the account, with its own state at `now`. */
export interface SubscriptionEntitlement {
  store: Store;
  storeSubscriptionId: string;
  state: PrimaryState;
  storeStatus: PrimaryState;
  /** Grants covered-model access now (before account suspension). */
  covered: boolean;
  /** Does not count for the account at all (and why). */
  excluded: SubscriptionExclusion | null;
  plan: PlanId | null;
  interval: BillingInterval | null;
  productId: string;
  trialEndsAt: Date | null;
  currentPeriodEnd: Date | null;
  paidThrough: Date | null;
  cancelAtPeriodEnd: boolean;
  pendingChange: PendingChange | null;
  sandbox: boolean;
  /** The subscription the account's answer comes from. */
  primary: boolean;
}

/** The account's entitlement at one instant: what coverage and the dashboard read. */
export interface AccountEntitlement {
  accountId: string;
  /** The instant this answer is for. */
  evaluatedAt: Date;
  /** Covered-model access now. */
  covered: boolean;
  /** Null when covered; otherwise the SPEC §6 reason. */
  reason: NotCoveredReason | null;
  state: AccountEntitlementState;
  /** The primary subscription's own state (also when the account is suspended). */
  subscriptionState: PrimaryState | null;
  /** The plan in force now (a downgrade only after its `effectiveAt`). */
  plan: PlanId | null;
  interval: BillingInterval | null;
  /** Store of the primary subscription (where to manage it). */
  provider: Store | null;
  storeSubscriptionId: string | null;
  /** End of the running trial; null unless in a trial. */
  trialEndsAt: Date | null;
  currentPeriodEnd: Date | null;
  /** End of the paid access running now; null unless in a paid period. */
  paidThrough: Date | null;
  /** Renewal is off: access ends at `currentPeriodEnd`. False unless the subscription is live. */
  cancelAtPeriodEnd: boolean;
  /** A scheduled downgrade / interval change not yet in force. */
  pendingChange: PendingChange | null;
  /** Concurrency caps in force now; zero when not covered. */
  limits: PlanConcurrencyLimits;
  /** Covered through a free trial (trial limits apply). */
  isTrial: boolean;
  /** Every store subscription of the account, primary first. */
  subscriptions: SubscriptionEntitlement[];
  /** More than one live, billed (active or past due) subscription counts for the account. */
  duplicateBilling: boolean;
  /** Earliest instant after `evaluatedAt` at which this answer can change by time alone. */
  nextChangeAt: Date | null;
}

export interface AccountStanding {
  id: string;
  /** Chargeback while keeping access, abuse, operator action: never covered. */
  suspended: boolean;
}

interface Candidate {
  view: EffectiveSubscription;
  state: SubscriptionState;
  excluded: SubscriptionExclusion | null;
}

/** Among covered, paid subscriptions of one plan: a running period before a covered past-due one. */
const COVERED_STATE_RANK: Readonly<Record<PrimaryState, number>> = {
  active: 3,
  past_due: 2,
  trial: 1,
  paused: 0,
  expired: 0,
  revoked: 0,
  incomplete: 0,
};

/** Among live, non-covered subscriptions: the one the subscriber can act on first. */
const UNCOVERED_LIVE_RANK: Readonly<Record<PrimaryState, number>> = {
  past_due: 3,
  paused: 2,
  incomplete: 1,
  trial: 0,
  active: 0,
  expired: 0,
  revoked: 0,
};

function storeRank(store: Store): number {
  return STORES.indexOf(store);
}

function timeOf(date: Date | null): number {
  return date === null ? Number.NEGATIVE_INFINITY : date.getTime();
}

/** Ended subscriptions: the most recent end (period end, else last observation) comes first. */
function endedRecency(candidate: Candidate): number {
  return Math.max(
    timeOf(candidate.view.currentPeriodEnd),
    candidate.state.latest.observedAt.getTime(),
  );
}

/**
 * Orders subscriptions best first:
 * - covered before not covered (a past-due Pro never hides a paying Unlimited);
 * - among covered: paid before trial (trial limits would restrict a paying subscriber: daily
 *   cap, render allowance, limited API), then the higher plan, then active before a past-due one
 *   the policy covers, then the later period end;
 * - among the others: live before ended; live ones by the state the subscriber can act on
 *   (past_due, paused, incomplete) then plan; ended ones the most recent first, revoked before
 *   expired;
 * - remaining ties by store (stripe, apple, google), then id: deterministic.
 */
function compareCandidates(a: Candidate, b: Candidate): number {
  const av = a.view;
  const bv = b.view;
  if (av.covered !== bv.covered) return av.covered ? -1 : 1;
  if (av.covered) {
    const aTrial = av.state === 'trial';
    if (aTrial !== (bv.state === 'trial')) return aTrial ? 1 : -1;
    const byPlan = planRank(bv.plan) - planRank(av.plan);
    if (byPlan !== 0) return byPlan;
    const byState = COVERED_STATE_RANK[bv.state] - COVERED_STATE_RANK[av.state];
    if (byState !== 0) return byState;
    const byEnd = timeOf(bv.currentPeriodEnd) - timeOf(av.currentPeriodEnd);
    if (byEnd !== 0) return byEnd > 0 ? 1 : -1;
  } else {
    if (av.live !== bv.live) return av.live ? -1 : 1;
    if (av.live) {
      const byState = UNCOVERED_LIVE_RANK[bv.state] - UNCOVERED_LIVE_RANK[av.state];
      if (byState !== 0) return byState;
      const byPlan = planRank(bv.plan) - planRank(av.plan);
      if (byPlan !== 0) return byPlan;
    } else {
      const byRecency = endedRecency(b) - endedRecency(a);
      if (byRecency !== 0) return byRecency > 0 ? 1 : -1;
      if (av.state !== bv.state) return av.state === 'revoked' ? -1 : 1;
    }
  }
  const byStore = storeRank(av.store) - storeRank(bv.store);
  if (byStore !== 0) return byStore;
  if (av.storeSubscriptionId === bv.storeSubscriptionId) return 0;
  return av.storeSubscriptionId < bv.storeSubscriptionId ? -1 : 1;
}

function reasonFor(view: EffectiveSubscription): NotCoveredReason {
  switch (view.state) {
    case 'expired':
    case 'revoked':
    case 'past_due':
    case 'paused':
    case 'incomplete':
      return view.state;
    case 'trial':
    case 'active':
      // Only an excluded subscription is trial/active and uncovered, and those never get here.
      return 'no_subscription';
    default: {
      const unknown: never = view.state;
      throw new Error(`unmapped state ${String(unknown)}`);
    }
  }
}

function toEntry(candidate: Candidate, primary: boolean): SubscriptionEntitlement {
  const v = candidate.view;
  return {
    store: v.store,
    storeSubscriptionId: v.storeSubscriptionId,
    state: v.state,
    storeStatus: v.storeStatus,
    covered: v.covered && candidate.excluded === null,
    excluded: candidate.excluded,
    plan: v.plan,
    interval: v.interval,
    productId: v.productId,
    trialEndsAt: v.trialEndsAt,
    currentPeriodEnd: v.currentPeriodEnd,
    paidThrough: v.paidThrough,
    cancelAtPeriodEnd: v.live && v.cancelAtPeriodEnd,
    pendingChange: v.live ? v.pendingChange : null,
    sandbox: v.sandbox,
    primary,
  };
}

/**
 * The account's entitlement at `now`, from the stored states of its store subscriptions.
 *
 * - Only subscriptions linked to this account count (`state.accountId === account.id`); the
 *   others are ignored entirely.
 * - A subscription is excluded (listed, never counted) when it is a sandbox purchase the policy
 *   does not accept, its product is unknown, or another listed subscription of the same store
 *   replaces it (`supersedes`).
 * - The best subscription (see the ordering on {@link compareCandidates}) is the primary one and
 *   gives plan, state, dates and limits; none left → `no_subscription`.
 * - A suspended account is never covered (`suspended`), whatever its subscriptions.
 * - Limits are those of the plan in force now: a pending downgrade never lowers them before its
 *   `effectiveAt`; not covered → zero.
 */
export function deriveEntitlement(
  subscriptions: readonly SubscriptionState[],
  account: AccountStanding,
  now: Date,
  policy: EntitlementPolicy,
  planLimits: PlanLimitsTable,
): AccountEntitlement {
  const own = subscriptions.filter((state) => state.accountId === account.id);
  const supersededIds = new Set(
    own
      .filter((state) => state.latest.supersedes !== null)
      .map((state) => `${state.store}:${state.latest.supersedes ?? ''}`),
  );
  const candidates: Candidate[] = own.map((state) => {
    const view = effectiveSubscription(state, now, policy);
    const superseded = supersededIds.has(`${state.store}:${state.storeSubscriptionId}`);
    return { view, state, excluded: superseded ? 'superseded' : view.excluded };
  });
  const counted = candidates.filter((candidate) => candidate.excluded === null);
  counted.sort(compareCandidates);
  const best: Candidate | undefined = counted[0];
  const listed = [
    ...counted,
    ...candidates.filter((c) => c.excluded !== null).sort(compareCandidates),
  ];
  const entries = listed.map((candidate) => toEntry(candidate, candidate === best));

  const billed = counted.filter((c) => c.view.state === 'active' || c.view.state === 'past_due');
  const upcoming = counted
    .map((c) => c.view.nextChangeAt)
    .filter((date): date is Date => date !== null)
    .map((date) => date.getTime());
  const nextChangeAt = upcoming.length === 0 ? null : new Date(Math.min(...upcoming));

  const base = {
    accountId: account.id,
    evaluatedAt: new Date(now.getTime()),
    subscriptions: entries,
    duplicateBilling: billed.length > 1,
    nextChangeAt: account.suspended ? null : nextChangeAt,
  };

  if (best === undefined) {
    return {
      ...base,
      covered: false,
      reason: account.suspended ? 'suspended' : 'no_subscription',
      state: account.suspended ? 'suspended' : 'no_subscription',
      subscriptionState: null,
      plan: null,
      interval: null,
      provider: null,
      storeSubscriptionId: null,
      trialEndsAt: null,
      currentPeriodEnd: null,
      paidThrough: null,
      cancelAtPeriodEnd: false,
      pendingChange: null,
      limits: { ...NO_LIMITS },
      isTrial: false,
    };
  }

  const view = best.view;
  const covered = view.covered && !account.suspended;
  const plan = view.plan;
  const limits =
    covered && plan !== null
      ? { image: planLimits[plan].image, video: planLimits[plan].video }
      : { ...NO_LIMITS };
  const reason: NotCoveredReason | null = account.suspended
    ? 'suspended'
    : covered
      ? null
      : reasonFor(view);
  const primary = entries[0];
  return {
    ...base,
    covered,
    reason,
    state: account.suspended ? 'suspended' : view.state,
    subscriptionState: view.state,
    plan,
    interval: view.interval,
    provider: view.store,
    storeSubscriptionId: view.storeSubscriptionId,
    trialEndsAt: primary.trialEndsAt,
    currentPeriodEnd: view.currentPeriodEnd,
    paidThrough: primary.paidThrough,
    cancelAtPeriodEnd: primary.cancelAtPeriodEnd,
    pendingChange: primary.pendingChange,
    limits,
    isTrial: covered && view.state === 'trial',
  };
}
