/**
 * Pure adapter: a `purchases.subscriptionsv2` resource (Google Play Developer API) → our
 * `SubscriptionSnapshot`. No I/O, no clock (the read time is an argument).
 *
 * The resource is the whole truth about one purchase token at the moment it was read; the RTDN
 * that caused the read only names the event (and, for REVOKED or a voided purchase, says that the
 * expiry was a revocation, which `subscriptionsv2` does not tell apart from an ordinary expiry).
 */
import type { androidpublisher_v3 } from '@googleapis/androidpublisher';
import type {
  BillingInterval,
  PendingChange,
  PlanId,
  PrimaryState,
  SubscriptionSnapshot,
} from '../../entitlements/domain/subscription-snapshot';
import { GoogleInboxFailure } from './google-errors';

export type SubscriptionPurchaseV2 = androidpublisher_v3.Schema$SubscriptionPurchaseV2;
export type SubscriptionPurchaseLineItem = androidpublisher_v3.Schema$SubscriptionPurchaseLineItem;

/** `subscriptionsv2.subscriptionState`, every value Google documents. */
export const SUBSCRIPTION_STATES = [
  'SUBSCRIPTION_STATE_UNSPECIFIED',
  'SUBSCRIPTION_STATE_PENDING',
  'SUBSCRIPTION_STATE_ACTIVE',
  'SUBSCRIPTION_STATE_PAUSED',
  'SUBSCRIPTION_STATE_IN_GRACE_PERIOD',
  'SUBSCRIPTION_STATE_ON_HOLD',
  'SUBSCRIPTION_STATE_CANCELED',
  'SUBSCRIPTION_STATE_EXPIRED',
  'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED',
] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

/** Maps a store product (productId + basePlanId) to a plan; null when the product is unknown. */
export type GoogleProductResolver = (
  productId: string,
  basePlanId: string | null,
) => { plan: PlanId; interval: BillingInterval } | null;

/** Content that no retry can fix (the handler records it as a permanent failure). */
export class GoogleAdapterError extends Error {
  constructor(
    readonly code: GoogleInboxFailure,
    message: string,
  ) {
    super(message);
    this.name = 'GoogleAdapterError';
  }
}

export interface GoogleSnapshotInput {
  purchaseToken: string;
  purchase: SubscriptionPurchaseV2;
  /** Resolved by the caller from `externalAccountIdentifiers.obfuscatedExternalAccountId`. */
  accountId: string | null;
  /** When the resource was read: the snapshot describes the subscription as of then. */
  readAt: Date;
  /** `eventTimeMillis` of the notification that caused the read. */
  eventTime: Date;
  /** The notification's name, for the history (`SUBSCRIPTION_RENEWED`, `VOIDED_PURCHASE`, ...). */
  sourceEvent: string;
  /** The notification says the purchase was revoked (RTDN 12) or voided. */
  revoked: boolean;
  resolveProduct: GoogleProductResolver;
}

export function isSubscriptionState(value: unknown): value is SubscriptionState {
  return typeof value === 'string' && (SUBSCRIPTION_STATES as readonly string[]).includes(value);
}

function parseTime(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function later(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

/**
 * The line item that carries the entitlement: among items with a product, those that map to a
 * plan first, then the one that runs longest. (Our products are single-item; add-ons would be
 * extra items.)
 */
export function primaryLineItem(
  purchase: SubscriptionPurchaseV2,
  resolveProduct: GoogleProductResolver,
): SubscriptionPurchaseLineItem | null {
  const items = (purchase.lineItems ?? []).filter(
    (i) => typeof i.productId === 'string' && i.productId,
  );
  if (items.length === 0) return null;
  const rank = (i: SubscriptionPurchaseLineItem): [number, number] => [
    resolveProduct(i.productId!, i.offerDetails?.basePlanId ?? null) ? 1 : 0,
    parseTime(i.expiryTime)?.getTime() ?? 0,
  ];
  return items.reduce((best, item) => {
    const [a1, a2] = rank(item);
    const [b1, b2] = rank(best);
    return a1 > b1 || (a1 === b1 && a2 > b2) ? item : best;
  });
}

interface MappedState {
  status: PrimaryState;
  cancelAtPeriodEnd: boolean;
  gracePeriodEnd: Date | null;
}

/** `subscriptionState` → our primary state and flags (STATE-MAPPING.md, Google table). */
export function mapSubscriptionState(
  state: SubscriptionState,
  item: SubscriptionPurchaseLineItem,
  readAt: Date,
): MappedState {
  const expiry = parseTime(item.expiryTime);
  const inTrial = item.offerPhase?.freeTrial != null;
  const running: PrimaryState = inTrial ? 'trial' : 'active';
  switch (state) {
    case 'SUBSCRIPTION_STATE_PENDING':
      return { status: 'incomplete', cancelAtPeriodEnd: false, gracePeriodEnd: null };
    case 'SUBSCRIPTION_STATE_ACTIVE':
      return {
        status: running,
        cancelAtPeriodEnd: item.autoRenewingPlan?.autoRenewEnabled === false,
        gracePeriodEnd: null,
      };
    case 'SUBSCRIPTION_STATE_CANCELED':
      // Canceled but not lapsed: covered until expiryTime, then expired.
      if (expiry !== null && expiry.getTime() > readAt.getTime()) {
        return { status: running, cancelAtPeriodEnd: true, gracePeriodEnd: null };
      }
      return { status: 'expired', cancelAtPeriodEnd: false, gracePeriodEnd: null };
    case 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD':
      // During the grace period Google extends expiryTime to the end of the grace period.
      return { status: 'past_due', cancelAtPeriodEnd: false, gracePeriodEnd: expiry };
    case 'SUBSCRIPTION_STATE_ON_HOLD':
      return { status: 'past_due', cancelAtPeriodEnd: false, gracePeriodEnd: null };
    case 'SUBSCRIPTION_STATE_PAUSED':
      return { status: 'paused', cancelAtPeriodEnd: false, gracePeriodEnd: null };
    case 'SUBSCRIPTION_STATE_EXPIRED':
    case 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED':
      return { status: 'expired', cancelAtPeriodEnd: false, gracePeriodEnd: null };
    case 'SUBSCRIPTION_STATE_UNSPECIFIED':
      throw new GoogleAdapterError(
        GoogleInboxFailure.UnknownSubscriptionState,
        'The subscription state is SUBSCRIPTION_STATE_UNSPECIFIED.',
      );
    default: {
      const unhandled: never = state;
      throw new GoogleAdapterError(
        GoogleInboxFailure.UnknownSubscriptionState,
        `Unknown subscription state ${String(unhandled)}.`,
      );
    }
  }
}

/** Whether the purchase must still be acknowledged (Google refunds unacknowledged ones after 3 days). */
export function needsAcknowledgement(purchase: SubscriptionPurchaseV2): boolean {
  if (purchase.acknowledgementState !== 'ACKNOWLEDGEMENT_STATE_PENDING') return false;
  const state = purchase.subscriptionState;
  if (!isSubscriptionState(state)) return false;
  switch (state) {
    case 'SUBSCRIPTION_STATE_ACTIVE':
    case 'SUBSCRIPTION_STATE_CANCELED':
    case 'SUBSCRIPTION_STATE_IN_GRACE_PERIOD':
    case 'SUBSCRIPTION_STATE_ON_HOLD':
    case 'SUBSCRIPTION_STATE_PAUSED':
      return true;
    // Payment not complete, or nothing left to keep: acknowledging is refused or pointless.
    case 'SUBSCRIPTION_STATE_PENDING':
    case 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED':
    case 'SUBSCRIPTION_STATE_EXPIRED':
    case 'SUBSCRIPTION_STATE_UNSPECIFIED':
      return false;
    default: {
      const unhandled: never = state;
      return unhandled;
    }
  }
}

/** The id our service issued for the account (`GET /v1/accounts/{id}/store-ids`), if the purchase carries one. */
export function obfuscatedAccountId(purchase: SubscriptionPurchaseV2): string | null {
  const id = purchase.externalAccountIdentifiers?.obfuscatedExternalAccountId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

function pendingChangeOf(
  item: SubscriptionPurchaseLineItem,
  current: { plan: PlanId; interval: BillingInterval } | null,
  expiry: Date | null,
  resolveProduct: GoogleProductResolver,
): PendingChange | null {
  const nextProduct = item.deferredItemReplacement?.productId;
  if (!nextProduct || expiry === null || current === null) return null;
  // deferredItemReplacement names only the product; our base plan ids are shared across products.
  const next = resolveProduct(nextProduct, item.offerDetails?.basePlanId ?? null);
  if (next === null) return null;
  if (next.plan === current.plan && next.interval === current.interval) return null;
  return { plan: next.plan, interval: next.interval, effectiveAt: expiry };
}

export function toSubscriptionSnapshot(input: GoogleSnapshotInput): SubscriptionSnapshot {
  const { purchase, readAt, resolveProduct } = input;
  const state = purchase.subscriptionState;
  if (!isSubscriptionState(state)) {
    throw new GoogleAdapterError(
      GoogleInboxFailure.UnknownSubscriptionState,
      `Unknown subscription state ${String(state)}.`,
    );
  }
  const item = primaryLineItem(purchase, resolveProduct);
  if (item === null) {
    throw new GoogleAdapterError(
      GoogleInboxFailure.NoLineItems,
      'The subscription has no line items.',
    );
  }
  const productId = item.productId!;
  const basePlanId = item.offerDetails?.basePlanId ?? null;
  const product = resolveProduct(productId, basePlanId);
  const expiry = parseTime(item.expiryTime);
  const mapped = mapSubscriptionState(state, item, readAt);
  const inTrial = item.offerPhase?.freeTrial != null;

  const revoked = input.revoked;
  const status: PrimaryState = revoked ? 'revoked' : mapped.status;
  const live = status === 'trial' || status === 'active';

  return {
    store: 'google',
    storeSubscriptionId: input.purchaseToken,
    accountId: input.accountId,
    observedAt: readAt,
    status,
    plan: product?.plan ?? null,
    interval: product?.interval ?? null,
    productId: basePlanId ? `${productId}/${basePlanId}` : productId,
    currentPeriodStart: null,
    currentPeriodEnd: expiry,
    trialEnd: inTrial ? expiry : null,
    cancelAtPeriodEnd: revoked ? false : mapped.cancelAtPeriodEnd,
    pendingChange:
      live && !mapped.cancelAtPeriodEnd
        ? pendingChangeOf(item, product, expiry, resolveProduct)
        : null,
    gracePeriodEnd: revoked ? null : mapped.gracePeriodEnd,
    sandbox: purchase.testPurchase != null,
    // A revoked token never comes back: every period it had is revoked.
    revokedThrough: revoked ? later(expiry, input.eventTime) : null,
    supersedes: purchase.linkedPurchaseToken ? purchase.linkedPurchaseToken : null,
    sourceEvent: input.sourceEvent,
  };
}
