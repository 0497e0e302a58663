/**
 * The normalized shape every store adapter produces. Pure data: no framework, no I/O.
 *
 * A snapshot is a *full* picture of one store subscription as the store saw it at `observedAt`
 * (Stripe `event.created` or the re-fetch time, Apple `signedDate`, Google `eventTimeMillis` /
 * read time). Because each snapshot is complete, the newest one wins and the order of delivery
 * does not matter.
 */
export type Store = 'stripe' | 'apple' | 'google';
export const STORES: readonly Store[] = ['stripe', 'apple', 'google'];

export type PlanId = 'unlimited' | 'unlimited_pro';
export const PLAN_IDS: readonly PlanId[] = ['unlimited', 'unlimited_pro'];

export type BillingInterval = 'month' | 'year';
export const BILLING_INTERVALS: readonly BillingInterval[] = ['month', 'year'];

/** SPEC §4 primary states. */
export type PrimaryState =
  'trial' | 'active' | 'past_due' | 'paused' | 'expired' | 'revoked' | 'incomplete';
export const PRIMARY_STATES: readonly PrimaryState[] = [
  'trial',
  'active',
  'past_due',
  'paused',
  'expired',
  'revoked',
  'incomplete',
];

/** SPEC §4 named transitions, written to the history. */
export type TransitionName =
  | 'trial_started'
  | 'converted'
  | 'renewed'
  | 'payment_failed'
  | 'recovered'
  | 'cancel_scheduled'
  | 'reactivated'
  | 'upgraded'
  | 'downgrade_scheduled'
  | 'downgrade_withdrawn'
  | 'downgrade_applied'
  | 'expired'
  | 'revoked'
  | 'resubscribed'
  | 'paused'
  | 'resumed'
  | 'transferred';

export interface PendingChange {
  plan: PlanId;
  interval: BillingInterval;
  effectiveAt: Date;
}

export interface SubscriptionSnapshot {
  store: Store;
  /** Stripe subscription id, Apple originalTransactionId, Google purchase token. */
  storeSubscriptionId: string;
  /** The account the store data links to, or null when no account is linked (kept unlinked). */
  accountId: string | null;
  /** When the store produced this picture; the ordering key (newer wins). */
  observedAt: Date;
  /** The store's status mapped to ours, as of `observedAt` (time-based expiry is derived later). */
  status: PrimaryState;
  /** Mapped through the product map; null when the product is unknown (grants nothing). */
  plan: PlanId | null;
  interval: BillingInterval | null;
  /** The store's own product identifier (Stripe lookup_key, Apple productId, Google productId/basePlanId). */
  productId: string;
  currentPeriodStart: Date | null;
  /** Paid-through (or trial-through) instant; null when unknown. */
  currentPeriodEnd: Date | null;
  /** End of the free trial when the subscription is or was in one. */
  trialEnd: Date | null;
  /** Scheduled to cancel: stays covered until currentPeriodEnd. */
  cancelAtPeriodEnd: boolean;
  /** Downgrade / interval change scheduled for the next renewal. */
  pendingChange: PendingChange | null;
  /** Store grace / retry window end, informational (past_due is never covered). */
  gracePeriodEnd: Date | null;
  /** Sandbox / test-mode / license-tester purchase. */
  sandbox: boolean;
  /**
   * Sticky revocation of paid time (Stripe full refund): every period ending at or before this
   * instant stays revoked even if a later snapshot of the unchanged subscription says otherwise.
   */
  revokedThrough: Date | null;
  /** Google: the older purchase token this one replaces (linkedPurchaseToken). */
  supersedes: string | null;
  /** Person signals for one-trial-per-person (payment fingerprint, device id), when the store gives them. */
  trialSignals?: { paymentFingerprint?: string | null; deviceId?: string | null };
  /** What the store called the event, for the history (e.g. `customer.subscription.updated`, `DID_RENEW/BILLING_RECOVERY`). */
  sourceEvent: string;
}
